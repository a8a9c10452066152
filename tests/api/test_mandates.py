"""A professional asks a client for a mandate, from the API (`POST /api/v1/mandates/`) and from the pro space's page
(`/vehicules/pro/mandat/`, behind the second factor): the same service; the client confirms it on the web."""

import pytest
from django.core import mail
from django.urls import reverse

from journal.enums import Action
from journal.models import Entry
from tests.api.conftest import make_org
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from titles.models import Mandate

pytestmark = pytest.mark.django_db

MANDATES = "/api/v1/mandates/"
PAGE = reverse("vehicles:request_mandate")


def body(email, **extra):
    return {"email": email, "given_names": "Camille", "family_name": "ROUX",
            "procedures": ["changement-titulaire", "cession"], "months": 6, **extra}


def test_the_api_asks_for_a_mandate_that_the_client_confirms_on_the_web(garage, client,
                                                                          django_capture_on_commit_callbacks):
    customer = UserFactory(email="camille.roux@exemple.fr", given_names="Camille", family_name="ROUX")
    with django_capture_on_commit_callbacks(execute=True):
        response = garage.client.post(MANDATES, body("Camille.Roux@exemple.fr "), format="json",
                                      HTTP_IDEMPOTENCY_KEY="mandat-1")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["confirmed_at"] is None and created["citizen"] == "Camille ROUX"
    assert created["procedures"] == ["changement-titulaire", "cession"]
    mandate = Mandate.objects.get(pk=created["id"])
    assert (mandate.citizen, mandate.organisation, mandate.created_by) == (customer, garage.organisation,
                                                                            garage.manager)
    assert not mandate.is_valid  # nothing may be filed before the client confirms
    assert Entry.objects.filter(action=Action.MANDATE_CREATED, organisation=garage.organisation).exists()
    (message,) = [m for m in mail.outbox if m.to == [customer.email]]
    assert garage.organisation.name in message.subject

    # A replay with the same key gives the same mandate, no second one, no second e-mail.
    again = garage.client.post(MANDATES, body("Camille.Roux@exemple.fr "), format="json",
                               HTTP_IDEMPOTENCY_KEY="mandat-1")
    assert again.status_code == 201 and again.json() == created
    assert Mandate.objects.filter(organisation=garage.organisation).count() == 1

    # The client confirms on the web, as for any mandate; then the garage may file under it.
    link = reverse("titles:confirm_mandate", kwargs={"token": mandate.token})
    assert link in message.body
    client.force_login(customer)
    assert client.post(link).status_code == 302
    listed = garage.client.get(MANDATES).json()
    assert listed[0]["id"] == mandate.pk and listed[0]["confirmed_at"] is not None
    draft = garage.client.post("/api/v1/files/", {"procedure": "cession", "mandate": mandate.pk}, format="json")
    assert draft.status_code == 201, draft.content


@pytest.mark.parametrize(("change", "field"), [
    ({"email": "pas-une-adresse"}, "email"),
    ({"procedures": ["permis-inscription"]}, "procedures"),
    ({"procedures": "cession"}, "procedures"),
    ({"months": 7}, "months"),
    ({"family_name": ""}, "family_name"),
])
def test_an_invalid_request_is_a_problem_naming_the_field(garage, change, field):
    UserFactory(email="camille.roux@exemple.fr")
    response = garage.client.post(MANDATES, {**body("camille.roux@exemple.fr"), **change}, format="json")
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert field in [error["field"] for error in response.json()["errors"]]
    assert not Mandate.objects.exists()


def test_a_driving_school_and_a_read_only_key_may_not_ask(db):
    UserFactory(email="camille.roux@exemple.fr")
    school = make_org("Auto-école du Port", kind="auto_ecole")
    assert school.client.post(MANDATES, body("camille.roux@exemple.fr"), format="json").status_code == 404
    reader = make_org("Garage lecteur", scopes=("read",))
    assert reader.client.post(MANDATES, body("camille.roux@exemple.fr"), format="json").status_code == 403
    assert not Mandate.objects.exists()


def test_the_pro_space_page_asks_for_the_same_mandate(verified_client, client, django_capture_on_commit_callbacks):
    garage = OrganisationFactory(pro_auto=True, name="Garage du Cours")
    staff = MembershipFactory(organisation=garage).user
    customer = UserFactory(email="camille.roux@exemple.fr")

    client.force_login(staff)
    assert "second-facteur" in client.get(PAGE).url  # behind the second factor
    pro = verified_client(staff)
    page = pro.get(PAGE)
    assert page.status_code == 200 and "Demander un mandat" in page.content.decode()
    assert PAGE in pro.get(reverse("vehicles:pro")).content.decode()  # reachable from the pro space

    refused = pro.post(PAGE, {**body("camille.roux@exemple.fr"), "procedures": [], "organisation": garage.pk})
    assert refused.status_code == 422 and "camille.roux@exemple.fr" in refused.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = pro.post(PAGE, {**body("camille.roux@exemple.fr"), "organisation": garage.pk})
    assert response.status_code == 302 and response.url == reverse("vehicles:pro")
    mandate = Mandate.objects.get()
    assert (mandate.citizen, mandate.organisation, mandate.confirmed_at) == (customer, garage, None)
    assert [m.to for m in mail.outbox] == [[customer.email]]


def test_the_page_is_a_404_for_someone_outside_the_car_trade(verified_client):
    school_staff = MembershipFactory(organisation=OrganisationFactory()).user
    assert verified_client(school_staff).get(PAGE).status_code == 404
