"""The file detail's compiled fast path (api/compiled.py) gives exactly the body of `FileDetailSerializer`, the
schema's reference, for files in every state; its timeline cache follows new events; one query for the file."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api import compiled
from api import serializers as s
from tests.api.conftest import make_mandate
from tests.conftest import verified
from tests.factories import MembershipFactory, UserFactory
from tests.vehicles.conftest import buyer_draft, declare_cession, make_vehicle, pay_and_submit
from titles import services
from titles.models import Application, ApplicationEvent
from titles.registry import registry
from vehicles.enums import DECLARATION_ACHAT

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def agent(cert):
    return verified(MembershipFactory(organisation=cert, role="agent").user)


def reference_body(application):
    application = Application.objects.select_related("applicant", "cert").get(pk=application.pk)
    events = ApplicationEvent.objects.filter(application=application, public=True).select_related(
        "application", "organisation").order_by("created_at", "pk")
    return s.FileDetailSerializer(application, context={"events": events}).data


def compiled_body(application):
    application = Application.objects.select_related("applicant", "cert", "cession").get(pk=application.pk)
    return compiled.file_detail(application)


def files_in_every_state(garage, cert, agent):
    seller, buyer = UserFactory(), UserFactory(given_names="Léa Éloïse", family_name="D'Aubigné")
    vehicle = make_vehicle(seller)
    organisation = garage.organisation
    draft = services.create_draft(services.registry.get("cession"), applicant=seller, filed_by=garage.manager,
                                  organisation=organisation, mandate=make_mandate(seller, organisation))
    cession, code = declare_cession(seller, vehicle, buyer=buyer)
    bought = buyer_draft(buyer, vehicle, code, filed_by=garage.manager, organisation=organisation,
                         mandate=make_mandate(buyer, organisation))
    ready = Application.objects.get(pk=bought.pk)
    pay_and_submit(ready, verified(garage.manager))
    submitted = Application.objects.get(pk=bought.pk)
    services.apply_transition(submitted, "take", actor=agent)
    services.apply_transition(Application.objects.get(pk=bought.pk), "request_info", actor=agent,
                              reason="Le procès-verbal du contrôle technique est illisible.")
    return {"draft": draft, "cession": cession, "needs_info": Application.objects.get(pk=bought.pk)}


def test_the_compiled_body_equals_the_serializer_in_every_state(garage, cert, agent):
    files = files_in_every_state(garage, cert, agent)
    for state, application in files.items():
        expected = reference_body(application)
        assert compiled_body(application) == expected, state
        # Twice: the second body comes from the timeline cache, and is the same.
        assert compiled_body(application) == expected, state
    assert reference_body(files["draft"])["missing"]
    assert [event["kind"] for event in reference_body(files["needs_info"])["timeline"]][-2:] == [
        "take", "request_info"]


def test_a_new_event_shows_at_once_through_the_api(garage, cert, agent):
    seller = UserFactory()
    vehicle = make_vehicle(seller)
    buyer = UserFactory()
    _, code = declare_cession(seller, vehicle, buyer=buyer)
    application = buyer_draft(buyer, vehicle, code, filed_by=garage.manager, organisation=garage.organisation,
                              mandate=make_mandate(buyer, garage.organisation))
    pay_and_submit(application, verified(garage.manager))
    url = f"/api/v1/files/{application.reference}/"
    first = garage.client.get(url).json()
    assert first["timeline"][-1]["kind"] == "submit"
    services.apply_transition(Application.objects.get(pk=application.pk), "take", actor=agent)
    after = garage.client.get(url).json()
    assert after["status"] == "in_review" and after["timeline"][-1]["kind"] == "take"
    assert after == reference_body(application)


def test_the_detail_reads_the_file_in_one_query(garage, cert):
    seller = UserFactory()
    application, _ = declare_cession(seller, make_vehicle(seller), filed_by=verified(garage.manager),
                                     organisation=garage.organisation,
                                     mandate=make_mandate(seller, garage.organisation))
    url = f"/api/v1/files/{application.reference}/"
    assert garage.client.get(url).status_code == 200  # the timeline is cached now
    with CaptureQueriesContext(connection) as queries:
        response = garage.client.get(url)
    assert response.status_code == 200 and response.json() == reference_body(application)
    # On PostgreSQL the file's query runs as a statement prepared once per connection (core/compiled_query.py).
    selects = [query["sql"] for query in queries.captured_queries if query["sql"].startswith(("SELECT", "EXECUTE"))]
    # The key (with its organisation and creator), its creator's membership (checked once, not again by the filer
    # rule), the file with its cession and latest event: nothing per event, no second look at the file.
    assert len(selects) == 3, selects
    assert '"api_apikey"' in selects[0] and '"accounts_membership"' in selects[1], selects
    file_query = selects[2] if selects[2].startswith("SELECT") else compiled._FILE._prepared().sql
    assert '"titles_application"' in file_query and '"vehicles_cession"' in file_query, selects


def test_the_detail_reaches_what_the_list_lists(garage, other_garage):
    """The fast path's check (titles.permissions.FILER on the row) and the list's query (`visible()`) agree: a file the
    garage files in its own name, one under a valid mandate; not another garage's, not one under a revoked mandate."""
    client = UserFactory()
    own = services.create_draft(registry.get(DECLARATION_ACHAT), applicant=garage.manager, filed_by=garage.manager,
                                organisation=garage.organisation)
    mandate = make_mandate(client, garage.organisation)
    mandated = services.create_draft(registry.get("cession"), applicant=client, filed_by=garage.manager,
                                     organisation=garage.organisation, mandate=mandate)
    revoked_mandate = make_mandate(client, garage.organisation)
    revoked = services.create_draft(registry.get("cession"), applicant=client, filed_by=garage.manager,
                                    organisation=garage.organisation, mandate=revoked_mandate)
    revoked_mandate.revoked_at = revoked_mandate.confirmed_at
    revoked_mandate.save(update_fields=["revoked_at"])
    foreign = services.create_draft(registry.get("cession"), applicant=client, filed_by=other_garage.manager,
                                    organisation=other_garage.organisation,
                                    mandate=make_mandate(client, other_garage.organisation))
    listed = {file["reference"] for file in garage.client.get("/api/v1/files/").json()["results"]}
    assert listed == {own.reference, mandated.reference}
    for application in (own, mandated, revoked, foreign):
        status = garage.client.get(f"/api/v1/files/{application.reference}/").status_code
        assert status == (200 if application.reference in listed else 404), application
