"""Routing is data: each procedure and département lands in the CERT its rules name, with a fallback per title."""


import pytest
from django.urls import reverse

from identity import demo as identity_demo
from identity.enums import IDENTITY
from licences import demo as licences_demo
from licences.enums import LICENCE
from tests.conftest import verified
from tests.factories import OrganisationFactory, UserFactory
from tests.titles.conftest import ExampleProcedure, complete_draft
from titles import services
from titles.admin import RoutingRuleForm
from titles.demo_support import route_title
from titles.models import Application, RoutingRule
from titles.registry import registry
from vehicles import demo as vehicles_demo
from vehicles.enums import VEHICLE

pytestmark = pytest.mark.django_db


class IdentityProcedure(ExampleProcedure):
    code = "test-identite"
    title = IDENTITY


class VehicleProcedure(ExampleProcedure):
    code = "test-vehicule"
    title = VEHICLE


class ForeignLicenceProcedure(ExampleProcedure):
    code = "test-echange"
    title = LICENCE


@pytest.fixture
def procedures(procedure):
    extra = (IdentityProcedure, VehicleProcedure, ForeignLicenceProcedure)
    for procedure_class in extra:
        registry.register(procedure_class)
    yield {p.code: registry.get(p.code) for p in (ExampleProcedure, *extra)}
    for procedure_class in extra:
        registry.unregister(procedure_class.code)


# (title, procedure, département, CERT): every rank of rule, and a fallback per title.
RULES = [
    (LICENCE, "", "83", "bordeaux"),
    (LICENCE, "", "2A", "marseille"),
    (LICENCE, "", "", "nancy"),
    (LICENCE, "test-echange", "", "nantes"),
    (LICENCE, "test-echange", "971", "antilles"),
    (IDENTITY, "", "83", "toulon"),
    (IDENTITY, "", "", "paris"),
    (VEHICLE, "", "", "nimes"),
]


@pytest.fixture
def network(db):
    certs = {code: OrganisationFactory(cert=True, code=code, name=f"CERT {code}")
             for code in {rule[3] for rule in RULES}}
    for title, procedure_code, departement, cert in RULES:
        RoutingRule.objects.create(title=title, procedure_code=procedure_code, departement=departement,
                                   cert=certs[cert])
    return certs


CASES = [
    ("test-procedure", "83000", "bordeaux"),  # title + département
    ("test-procedure", "20090", "marseille"),  # Corse-du-Sud is « 2A »
    ("test-procedure", "75011", "nancy"),  # no rule for the département: the title's fallback
    ("test-procedure", "", "nancy"),  # no address at all: the fallback too
    ("test-echange", "83000", "nantes"),  # a procedure rule wins over the title's rule for the département
    ("test-echange", "97110", "antilles"),  # procedure + département wins over everything
    ("test-identite", "83000", "toulon"),
    ("test-identite", "33000", "paris"),
    ("test-vehicule", "83000", "nimes"),
    ("test-vehicule", "97110", "nimes"),
]


@pytest.mark.parametrize(("code", "postal_code", "expected"), CASES, ids=[f"{c}-{p or 'none'}" for c, p, _ in CASES])
def test_each_procedure_and_departement_lands_in_its_cert(procedures, network, code, postal_code, expected):
    applicant = UserFactory(postal_code=postal_code)
    application = complete_draft(procedures[code], applicant)
    assert services.route(application, procedures[code]) == network[expected]
    # Submission routes the file there, and that CERT's agents are the ones who see it.
    services.apply_transition(application, "submit", actor=applicant)
    application.refresh_from_db()
    assert application.cert == network[expected]
    agent = verified(network[expected].memberships.create(user=UserFactory(), role="agent").user)
    assert Application.objects.for_user(agent).filter(pk=application.pk).exists()
    other = verified(network["nimes" if expected != "nimes" else "paris"].memberships.create(
        user=UserFactory(), role="agent").user)
    assert not Application.objects.for_user(other).filter(pk=application.pk).exists()


def test_a_title_without_any_rule_routes_nowhere(procedures, network):
    RoutingRule.objects.filter(title=VEHICLE).delete()
    application = complete_draft(procedures["test-vehicule"], UserFactory())
    assert services.route(application, procedures["test-vehicule"]) is None


def test_the_procedure_decides_the_departement(procedures, network, monkeypatch):
    """A procedure may route on something else than the applicant's address (e.g. the vehicle's holder)."""
    procedure = procedures["test-procedure"]
    monkeypatch.setattr(type(procedure), "departement", lambda self, application: "2A")
    application = complete_draft(procedure, UserFactory(postal_code="83000"))
    assert services.route(application, registry.get(procedure.code)) == network["marseille"]


def test_demo_rules_route_every_registered_procedure(procedures):
    """The demo's rules (press kit, 2017): for the Var and as the fallback, each title goes to its CERT."""
    expected = {VEHICLE: "cert-nimes", LICENCE: "cert-bordeaux", IDENTITY: "cert-toulon-cni"}
    certs = {code: OrganisationFactory(cert=True, code=code) for code in expected.values()}
    for title, demo in ((VEHICLE, vehicles_demo), (LICENCE, licences_demo), (IDENTITY, identity_demo)):
        assert demo.CERT == expected[title]  # each title app's demo routes its own title (`route_title`)
        route_title(title, demo.CERT)
    applicant = UserFactory()
    for procedure in registry.all():
        for departement in ("83", "75"):
            procedure.departement = lambda application, departement=departement: departement
            application = Application(procedure_code=procedure.code, title=procedure.title, applicant=applicant)
            cert = services.route(application, procedure)
            assert cert == certs[expected[procedure.title]], (procedure.code, departement)


def test_admin_rule_form_checks_the_procedure_belongs_to_the_title(procedures, network):
    cert = network["nantes"]
    form = RoutingRuleForm(data={"title": IDENTITY, "procedure_code": "test-echange", "departement": "44",
                                 "cert": cert.pk})
    assert not form.is_valid() and "ne relève pas du titre" in str(form.errors["procedure_code"])
    form = RoutingRuleForm(data={"title": LICENCE, "procedure_code": "test-echange", "departement": "2a",
                                 "cert": cert.pk})
    assert form.is_valid(), form.errors
    assert form.save().departement == "2A"
    not_a_cert = OrganisationFactory()
    form = RoutingRuleForm(data={"title": LICENCE, "procedure_code": "", "departement": "13",
                                 "cert": not_a_cert.pk})
    assert "cert" in form.errors


def test_admin_lists_and_edits_rules(verified_client, procedures, network):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client = verified_client(admin)
    page = client.get(reverse("admin:titles_routingrule_changelist")).content.decode()
    assert "tous (repli)" in page and "CERT nantes" in page
    page = client.get(reverse("admin:titles_routingrule_add")).content.decode()
    assert "Démarche d&#x27;essai (test-procedure)" in page
