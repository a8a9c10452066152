"""The demo garage's space shows real work: files filed for its clients under their mandates (vehicles/demo_pro.py),
in every state, that open from its operations page once the second factor is passed."""

import datetime
import io
import zoneinfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accounts import demo as accounts_demo
from accounts.models import Organisation, User
from titles.models import Application, GeneratedDocument, Mandate
from titles.workflow import Status
from vehicles import demo as vehicles_demo
from vehicles import demo_pro
from vehicles.enums import CESSION, CHANGEMENT_TITULAIRE

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 10, 10, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Paris"))


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=True):
        yield


def load_demo(capture):
    """Load what the garage's files need, then its files (made once the loader's transaction commits)."""
    out = io.StringIO()
    accounts_demo.load(out)
    vehicles_demo.load_base(out)
    with capture(execute=True):
        demo_pro.load(out)
    return out.getvalue()


def test_the_demo_garage_lists_the_files_it_filed_for_its_clients(verified_client,
                                                                   django_capture_on_commit_callbacks):
    out = load_demo(django_capture_on_commit_callbacks)
    assert "Dossiers de démonstration du Garage de Provence : 5 démarches" in out
    garage = Organisation.objects.get(code="garage-provence")
    staff = User.objects.get(email="garage@demo.test")
    files = list(Application.objects.filter(organisation=garage).select_related("applicant", "mandate"))
    assert len(files) == 5
    assert {a.procedure_code for a in files} == {CESSION, CHANGEMENT_TITULAIRE}
    assert {a.status for a in files} == {Status.SUBMITTED, Status.IN_REVIEW, Status.NEEDS_INFO, Status.ACCEPTED}
    for application in files:
        # Filed by the garage's manager for the client, under the client's confirmed mandate to the garage.
        assert application.filed_by == staff and application.applicant.email.startswith("demo.citoyen")
        assert application.mandate.is_valid and application.mandate.confirmed_at is not None
        assert application.mandate.citizen_id == application.applicant_id
        assert application.mandate.organisation_id == garage.pk
        assert application.mandate.created_at <= application.created_at
        # The act done for someone else names both people, and the garage.
        submitted = application.events.get(kind="submit")
        assert (submitted.actor, submitted.acting_for, submitted.organisation) == (
            staff, application.applicant, garage)
    accepted = next(a for a in files if a.procedure_code == CHANGEMENT_TITULAIRE and a.status == Status.ACCEPTED)
    cpi = GeneratedDocument.objects.get(application=accepted, kind="cpi", status="ready")

    client = verified_client(staff)
    response = client.get(reverse("vehicles:pro"))
    assert response.status_code == 200
    assert {a.reference for a in response.context["applications"]} == {a.reference for a in files}
    page = response.content.decode()
    for application in files:
        assert application.reference in page and application.applicant.get_full_name() in page
        detail = client.get(reverse("titles:detail", kwargs={"reference": application.reference}))
        assert detail.status_code == 200 and application.reference in detail.content.decode()
    # The clients' mandates, to file the next procedure from.
    assert {m.citizen for m in response.context["mandates"]} >= {a.applicant for a in files}
    # The CPI of the accepted changement de titulaire, to print.
    cpi_url = reverse("titles:generated_file", kwargs={"reference": accepted.reference, "pk": cpi.pk})
    assert cpi_url in page
    response = client.get(cpi_url)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    # The file waiting for the garage shows the CERT's request.
    asked = next(a for a in files if a.status == Status.NEEDS_INFO)
    page = client.get(reverse("titles:detail", kwargs={"reference": asked.reference})).content.decode()
    assert "justificatif de domicile joint date de plus de 6 mois" in page

    # Loaded again (as every `make run` does): nothing more is made.
    before = (Application.objects.count(), Mandate.objects.count(), User.objects.count())
    out = load_demo(django_capture_on_commit_callbacks)
    assert "Dossiers de démonstration du Garage de Provence : déjà en place." in out
    assert (Application.objects.count(), Mandate.objects.count(), User.objects.count()) == before


def test_the_demo_garage_needs_its_code_to_reach_the_files(django_capture_on_commit_callbacks):
    """What the README tells to try: the password alone does not open the operations page; a demo code does."""
    load_demo(django_capture_on_commit_callbacks)
    references = set(Application.objects.filter(organisation__code="garage-provence")
                     .values_list("reference", flat=True))
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": "garage@demo.test",
                                                       "password": accounts_demo.DEMO_PASSWORD})
    assert response.status_code == 302
    response = client.get(reverse("vehicles:pro"))
    assert response.status_code == 302 and reverse("accounts:otp_verify") in response.url
    client.post(f"{reverse('accounts:otp_verify')}?next={reverse('vehicles:pro')}",
                {"token": accounts_demo.DEMO_STATIC_CODES[0]})
    response = client.get(reverse("vehicles:pro"))
    assert response.status_code == 200
    assert {a.reference for a in response.context["applications"]} == references


def test_the_demo_garage_needs_its_code_to_open_a_client_file(django_capture_on_commit_callbacks):
    load_demo(django_capture_on_commit_callbacks)
    application = Application.objects.filter(organisation__code="garage-provence").first()
    client = Client()
    client.post(reverse("accounts:login"), {"username": "garage@demo.test", "password": accounts_demo.DEMO_PASSWORD})
    response = client.get(reverse("titles:detail", kwargs={"reference": application.reference}))
    assert response.status_code in (302, 404) and application.reference not in response.content.decode()
    if response.status_code == 302:
        assert reverse("accounts:otp_verify") in response.url
