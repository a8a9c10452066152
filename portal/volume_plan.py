"""The volume `manage.py load_volume` writes, free of Django (bench/volume_db.py reads it before any setup): the
national figures scaled to N files, and the stamp the loader leaves on the database."""

from dataclasses import dataclass

NATIONAL_FILES = 1_000_000
NATIONAL_AGENTS = 200
NATIONAL_ORGANISATIONS = 5_000
NATIONAL_CERTS = 50
# The version of what the loader writes, stamped on the database (bench/volume_db.py reloads an older one).
# 2: mandates for the files professionals file, API keys.
LOADER_VERSION = 2
STAMP_PREFIX = "load_volume"


@dataclass(frozen=True)
class Plan:
    files: int
    organisations: int
    certs: int
    agents: int
    # Share of the files routed to the first CERT (the rest go round the CERTs, the first included): 0, the
    # default, spreads them evenly. The scale bench gives the 10 k volume a busy first CERT (its agent is the one
    # measured), so that each filter of its queue fills a first page of 50 as at 1 M (bench/scale.py).
    busiest: float = 0.0

    @classmethod
    def for_files(cls, files, certs=None, busiest=0.0):
        """Scale the national figures down to `files`; `certs` fixes the number of CERTs instead (the scale bench
        loads every volume with the country's 50, so that its pages show as many centres at 10 k as at 1 M)."""
        if not 0 <= busiest < 1:  # the one check of the share (French: the command says it as it is)
            raise ValueError("la part du CERT le plus chargé doit être comprise entre 0 et 1 (exclu), par exemple "
                             "0.5.")
        scale = files / NATIONAL_FILES
        certs = certs or max(2, round(NATIONAL_CERTS * scale))
        return cls(
            files=files,
            organisations=max(12, certs + 10, round(NATIONAL_ORGANISATIONS * scale)),
            certs=certs,
            agents=max(4, certs, round(NATIONAL_AGENTS * scale)),
            busiest=busiest,
        )

    @property
    def citizens(self):
        return self.files

    @property
    def vehicles(self):
        return 2 * self.files



def stamp(plan):
    """The stamp names the busiest CERT's share only when one is asked (an even spread stamps as before it existed,
    so that a volume loaded then is still reused)."""
    busiest = f" busiest={plan.busiest:g}" if plan.busiest else ""
    return f"{STAMP_PREFIX} v{LOADER_VERSION} files={plan.files} certs={plan.certs}{busiest}"
