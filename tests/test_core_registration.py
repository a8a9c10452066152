"""The core lists no title and no profession: the title apps register theirs at start-up (issue 12, part 6).

`titles` keeps the registry of titles (`titles.registry.registry.register_title`) and `accounts` that of the kinds
of organisation and roles (`accounts.kinds`); vehicles, licences and identity fill them in their `AppConfig.ready()`.
"""

import ast
from pathlib import Path

import pytest

from accounts.enums import OrganisationKind, Role
from accounts.kinds import kinds
from titles.enums import Filer
from titles.models import Application, RoutingRule
from titles.registry import registry

ROOT = Path(__file__).resolve().parent.parent
CORE_APPS = ("titles", "accounts")
# The codes of the titles and professions of the three title apps, whatever is registered in this run.
TITLE_APP_CODES = {"identity", "licence", "vehicle", "auto_ecole", "pro_auto", "mairie", "mairie_agent"}
# A literal equal to such a code that means something else, or that is not moved yet; each with its reason.
ALLOWED = {
    # The account page's "identity" section: the person's identity (name, birth), not the identity title.
    ("accounts/views.py", "identity"),
    # workflow.Actor.MAIRIE: the capacity "l'agent de mairie" stored on the events and labelled by
    # titles/backoffice.py, which helper "www" is moving into titles/www/; once there, the label is to come from
    # the access role identity registers (identity.permissions.MairieAgent), and this line goes.
    ("titles/workflow.py", "mairie"),
}


def core_literals():
    """Yield (module path, string) for every string constant of the core apps' modules (migrations aside)."""
    for app in CORE_APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    yield str(path.relative_to(ROOT)), node.value


def registered_codes():
    """The codes the title apps registered: titles, kinds and roles that are not the platform's own."""
    return (
        {title.code for title in registry.titles()}
        | {kind.code for kind in kinds.all()} - set(OrganisationKind.values)
        | {code for code, _label in kinds.role_choices()} - set(Role.values)
    )


def test_the_core_names_no_title_and_no_profession():
    codes = TITLE_APP_CODES | registered_codes()
    found = {(path, value) for path, value in core_literals() if value in codes}
    assert found <= ALLOWED, sorted(found - ALLOWED)
    # The exceptions are still needed (a stale one would hide a new literal of the same code in that module).
    assert ALLOWED <= found


def test_the_title_apps_registered_their_titles_and_professions():
    assert [title.code for title in registry.titles()] == ["identity", "licence", "vehicle"]
    for title in registry.titles():
        assert title.label and title.description, title.code
    assert set(kinds.filing()) == {"auto_ecole", "pro_auto"}
    assert all(kinds.get(code).needs_validation for code in kinds.filing())
    assert "mairie" in kinds and not kinds.get("mairie").files_for_others
    # Stored values are unchanged: the models take their choices from the registries.
    assert dict(Application._meta.get_field("title").choices) == dict(
        (title.code, title.label) for title in registry.titles()
    )
    vehicle = "Certificat d'immatriculation (carte grise)"
    assert dict(RoutingRule._meta.get_field("title").choices)["vehicle"] == vehicle
    organisation_kinds = dict(kinds.choices())
    assert set(organisation_kinds) == {"auto_ecole", "pro_auto", "point_numerique", "espace_numerique", "cert",
                                       "mairie"}


def test_every_procedure_has_a_registered_title_and_known_filers():
    filers = {Filer.CITIZEN, Filer.MEDIATEUR, *kinds.filing()}
    for procedure in registry.all():
        if procedure.code.startswith("test-"):  # registered by the tests themselves
            continue
        registry.title(procedure.title)  # KeyError if its app did not register it
        assert set(procedure.filers) <= filers, procedure.code


def test_a_registration_cannot_change_what_another_app_registered():
    with pytest.raises(ValueError):
        kinds.register("auto_ecole", "Autre chose")
    with pytest.raises(ValueError):
        registry.register_title("licence", "Permis", "Autre description")
    # Registering the same thing again (a second ready(), a reload in tests) is harmless.
    info = registry.title("licence")
    assert registry.register_title(info.code, info.label, info.description, info.order) == "licence"
