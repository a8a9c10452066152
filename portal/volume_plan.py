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

    @classmethod
    def for_files(cls, files, certs=None):
        """Scale the national figures down to `files`; `certs` fixes the number of CERTs instead (the scale bench
        loads every volume with the country's 50, so that its pages show as many centres at 10 k as at 1 M)."""
        scale = files / NATIONAL_FILES
        certs = certs or max(2, round(NATIONAL_CERTS * scale))
        return cls(
            files=files,
            organisations=max(12, certs + 10, round(NATIONAL_ORGANISATIONS * scale)),
            certs=certs,
            agents=max(4, certs, round(NATIONAL_AGENTS * scale)),
        )

    @property
    def citizens(self):
        return self.files

    @property
    def vehicles(self):
        return 2 * self.files



def stamp(plan):
    return f"{STAMP_PREFIX} v{LOADER_VERSION} files={plan.files} certs={plan.certs}"
