"""CNI and passeport together (issue 13): one pré-demande, one appointment, one deposit at the mairie; the timbre is
the passeport's (the CNI is free unless lost or stolen), and the recap states both titles."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from identity.enums import TitleKind
from identity.models import Deposit, PreDemande, Slot
from tests.identity.conftest import STEPS, as_post, slot_at
from titles import services as title_services
from titles.models import Application, Payment
from titles.workflow import Status

pytestmark = pytest.mark.django_db

BOTH = "cni-passeport-pre-demande"
ELIGIBLE = {"abroad": "no", "deposit_place": "france", "french": "yes"}
NOON = datetime.datetime(2026, 3, 10, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOON, tick=False):
        yield


def step_url(application, slug):
    return reverse("titles:step", kwargs={"reference": application.reference, "slug": slug})


def fill_steps(client, citizen, application, motif=None):
    client.post(step_url(application, "motif"), as_post({**STEPS["motif"], **(motif or {})}))
    client.post(step_url(application, "etat_civil"), as_post({**STEPS["etat_civil"],
                                                              "family_name": citizen.family_name,
                                                              "given_names": citizen.given_names}))
    for slug in ("filiation", "nationalite", "coordonnees"):
        response = client.post(step_url(application, slug), as_post(STEPS[slug]))
    return response


def test_one_pre_demande_one_appointment_one_deposit_for_both_titles(
        client, citizen, cert, agent, mairies, mairie_agent, staff_client, django_capture_on_commit_callbacks):
    client.force_login(citizen)
    assert "carte d&#x27;identité et de passeport" in client.get("/").content.decode()
    response = client.post(reverse("titles:start", kwargs={"code": BOTH}), ELIGIBLE)
    application = Application.objects.get(applicant=citizen, procedure_code=BOTH)
    assert response.url == step_url(application, "motif")
    # A motive of the passeport alone is not offered for both.
    response = client.post(step_url(application, "motif"), {"beneficiary": "self", "motif": "pages_visas",
                                                             "current_title_valid_until": "2030-01-01"})
    assert response.status_code == 422 and "pages_visas n’en fait pas partie" in response.content.decode()
    assert "pages de visas" not in response.content.decode()
    response = fill_steps(client, citizen, application)
    payment_url = reverse("titles:payment", kwargs={"reference": application.reference})
    assert response.url == payment_url

    # The passeport's timbre only: the CNI is free for a first demande.
    page = client.get(payment_url).content.decode()
    assert "Timbre fiscal — passeport, majeur" in page and "carte d&#x27;identité après" not in page
    recap_url = reverse("titles:recap", kwargs={"reference": application.reference})
    assert client.post(payment_url, {"acheter": "1"}).url == recap_url  # bought and paid in one step
    assert Payment.objects.get(application=application).amount_cents == 8600

    page = client.get(recap_url).content.decode()
    assert "Carte nationale d&#x27;identité et passeport" in page
    assert "timbre fiscal de 86" in page and "gratuite" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(recap_url)
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED and application.fee_cents == 8600
    pre_demande = PreDemande.objects.get(application=application)
    assert pre_demande.kind == TitleKind.BOTH

    # One appointment for both.
    slot = slot_at(mairies["toulon"], days=3, hour=9)
    appointment_url = reverse("identity:appointment", kwargs={"reference": application.reference})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(appointment_url, {"slot": slot.pk})
    assert response.status_code == 302, response.content.decode()
    assert Slot.objects.get(application=application) == slot

    # One deposit for both, at the mairie; then the CERT takes the one file.
    desk = staff_client(mairie_agent)
    url = reverse("identity:mairie_file", kwargs={"number": pre_demande.number})
    page = desk.get(url).content.decode()
    assert "carte nationale d&#x27;identité et passeport" in page.lower()
    with django_capture_on_commit_callbacks(execute=True):
        response = desk.post(url, {"mairie": mairies["toulon"].pk, "holder_present": "on",
                                   "fingerprints_taken": "on", "pieces": ["photo", "domicile", "timbre"]})
    assert response.status_code == 302
    assert Deposit.objects.filter(pre_demande=pre_demande).count() == 1
    title_services.apply_transition(application, "take", actor=agent)


def test_after_a_loss_both_timbres_are_due(client, citizen, cert):
    client.force_login(citizen)
    client.post(reverse("titles:start", kwargs={"code": BOTH}), ELIGIBLE)
    application = Application.objects.get(applicant=citizen, procedure_code=BOTH)
    fill_steps(client, citizen, application, motif={"motif": "perte"})
    application.refresh_from_db()
    lines = application.procedure.fee_lines(application)
    assert [line.cents for line in lines] == [8600, 2500]
    assert application.procedure.fee_total(application) == 11100


def test_the_pieces_are_those_of_both_titles_each_once(client, citizen, cert):
    client.force_login(citizen)
    client.post(reverse("titles:start", kwargs={"code": BOTH}), ELIGIBLE)
    application = Application.objects.get(applicant=citizen, procedure_code=BOTH)
    fill_steps(client, citizen, application, motif={"motif": "renouvellement",
                                                    "current_title_valid_until": "2026-02-01"})
    application.refresh_from_db()
    codes = [piece.code for piece in application.procedure.pieces(application)]
    assert len(codes) == len(set(codes))
    assert "ancien_titre" in codes and "cni" not in codes
    ancien = next(p for p in application.procedure.pieces(application) if p.code == "ancien_titre")
    assert "carte d'identité et le passeport" in ancien.label
