"""The kinds of organisation and the roles of their members: the platform's own, and those the title apps register.

`accounts` knows only the kinds the platform itself runs on, whatever the title (`accounts.enums`): the CERT, the
back office every file is routed to, and the points and espaces numériques, where médiateurs assist citizens. A
profession that exists for one title — the école de conduite for the permis, the professionnel de l'automobile for
the carte grise, the mairie for identity cards — is registered by its app at start-up (`AppConfig.ready()`) with
what the platform must know of it: its label, whether its staff file for someone else under a mandate, and whether
an administrator validates it first. Forms, the admin and the filing checks read this registry, never a list.
"""

from dataclasses import dataclass

from accounts.enums import OrganisationKind, Role


@dataclass(frozen=True)
class Kind:
    code: str
    label: str
    # Its staff file procedures for a citizen under a mandate (a procedure names it among its `filers`).
    files_for_others: bool = False
    # An administrator validates its agrément or habilitation before it may act (`Organisation.is_validated`).
    needs_validation: bool = False
    # How a procedure's page says that this kind may file it ("Une école de conduite mandatée").
    filer_label: str = ""


class KindRegistry:
    def __init__(self):
        self._kinds = {}
        self._roles = {}

    def register(self, code, label, *, files_for_others=False, needs_validation=False, filer_label=""):
        """Register a kind of organisation and return its code; registering it again the same way is harmless."""
        kind = Kind(code, str(label), files_for_others, needs_validation, str(filer_label or label))
        if self._kinds.get(code, kind) != kind:
            raise ValueError(f"Organisation kind {code!r} is already registered differently")
        self._kinds[code] = kind
        return code

    def register_role(self, code, label):
        """Register a role a member of an organisation may hold, and return its code."""
        if self._roles.get(code, str(label)) != str(label):
            raise ValueError(f"Membership role {code!r} is already registered differently")
        self._roles[code] = str(label)
        return code

    def get(self, code):
        """Return the `Kind` of a code; raise KeyError if no app registered it."""
        return self._kinds[code]

    def __contains__(self, code):
        return code in self._kinds

    def all(self):
        return list(self._kinds.values())

    def filing(self):
        """Return the codes of the kinds whose staff file for someone else."""
        return tuple(kind.code for kind in self._kinds.values() if kind.files_for_others)

    def label(self, code):
        kind = self._kinds.get(code)
        return kind.label if kind else code

    def role_label(self, code):
        return self._roles.get(code, code)

    def choices(self):
        return [(kind.code, kind.label) for kind in self._kinds.values()]

    def role_choices(self):
        return list(self._roles.items())


kinds = KindRegistry()
for _kind in OrganisationKind:
    kinds.register(_kind.value, _kind.label)
for _role in Role:
    kinds.register_role(_role.value, _role.label)


def register(code, label, **options):
    """Register a kind of organisation (see `KindRegistry.register`)."""
    return kinds.register(code, label, **options)


def register_role(code, label):
    return kinds.register_role(code, label)


# The model fields' choices: callables, so that a kind registered by an app needs no migration of accounts.
def kind_choices():
    return kinds.choices()


def role_choices():
    return kinds.role_choices()
