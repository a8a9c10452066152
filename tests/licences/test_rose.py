"""Échange du permis papier (rose) contre le format carte (issue 13), over HTTP: free, NEPH, e-photo, the paper
licence's scan; the paper licence stays in the register until the new card is handed over."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from licences.enums import Code
from licences.models import Licence
from licences.rose import paper_deadline
from licences.services import set_category
from tests.licences.conftest import give_licence, jpeg
from titles import services
from titles.models import Application, GeneratedDocument
from titles.registry import registry
from titles.workflow import Status

pytestmark = pytest.mark.django_db

NOON = datetime.datetime(2026, 3, 10, 12, 0, tzinfo=datetime.UTC)
PAPER = {"card_number": "", "card_issued_on": datetime.date(2005, 6, 30), "card_valid_until": None}


def paper_licence(holder):
    licence = Licence.objects.create(holder=holder, neph="051234567890", **PAPER)
    set_category(licence, "B", obtained_on=datetime.date(2005, 6, 30))
    return licence


def start(client, citizen):
    client.force_login(citizen)
    response = client.post(reverse("titles:start", kwargs={"code": Code.PAPER_EXCHANGE}),
                           {"format": "yes", "licence_state": "no"})
    application = Application.objects.get(applicant=citizen, procedure_code=Code.PAPER_EXCHANGE)
    assert response.url == reverse("titles:step", kwargs={"reference": application.reference,
                                                          "slug": "permis-papier"})
    return application, response.url


STEP = {"neph": "0512 3456 7890", "issued_on": "2005-06-30", "prefecture": "Préfecture du Var"}


@time_machine.travel(NOON, tick=False)
def test_the_paper_licence_is_exchanged_and_the_register_switches_at_delivery(
        client, citizen, certs, agent, issue_code, django_capture_on_commit_callbacks):
    assert "Échange du permis papier (rose)" in client.get("/").content.decode()
    licence = paper_licence(citizen)
    application, step_url = start(client, citizen)
    response = client.post(step_url, {**STEP, "neph": "051234567891"})
    assert response.status_code == 422 and "n&#x27;est pas celui de votre permis" in response.content.decode()
    response = client.post(step_url, {**STEP, "issued_on": "2014-01-02"})
    assert "au format carte : il n&#x27;y a rien à échanger" in response.content.decode()
    response = client.post(step_url, STEP)
    photo_url = reverse("titles:step", kwargs={"reference": application.reference, "slug": "photo"})
    assert response.url == photo_url
    response = client.post(photo_url, {"photo_mode": "ephoto", "ephoto_code": issue_code()})
    documents_url = reverse("titles:documents", kwargs={"reference": application.reference})
    assert response.url == documents_url
    response = client.post(documents_url, {"identity": jpeg(), "domicile": jpeg(), "paper_licence": jpeg()})
    # Free: no payment step.
    recap_url = reverse("titles:recap", kwargs={"reference": application.reference})
    assert response.url == recap_url
    page = client.get(recap_url).content.decode()
    assert "051234567890" in page and "19 janvier 2033" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(recap_url)
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED and application.fee_cents == 0
    assert application.cert == certs["bordeaux"]
    assert GeneratedDocument.objects.filter(application=application, kind="recepisse").exists()

    # Until the card is handed over, the register still holds the paper licence (it stays valid).
    for name in ("take", "accept", "produce", "send"):
        services.apply_transition(application, name, actor=agent)
    licence.refresh_from_db()
    assert licence.card_number == "" and licence.card_issued_on == datetime.date(2005, 6, 30)
    services.apply_transition(application, "deliver", actor=agent)
    licence.refresh_from_db()
    assert licence.card_number.startswith("26") and licence.card_issued_on == datetime.date(2026, 3, 10)
    assert licence.card_valid_until == datetime.date(2041, 3, 10)
    assert licence.category_codes == ["B"]


@time_machine.travel(NOON, tick=False)
def test_a_licence_already_in_card_format_cannot_be_exchanged(client, citizen, certs, issue_code):
    give_licence(citizen)
    application, step_url = start(client, citizen)
    neph = Licence.objects.get(holder=citizen).neph
    client.post(step_url, {**STEP, "neph": neph})
    client.post(reverse("titles:step", kwargs={"reference": application.reference, "slug": "photo"}),
                {"photo_mode": "ephoto", "ephoto_code": issue_code()})
    client.post(reverse("titles:documents", kwargs={"reference": application.reference}),
                {"identity": jpeg(), "domicile": jpeg(), "paper_licence": jpeg()})
    response = client.post(reverse("titles:recap", kwargs={"reference": application.reference}))
    assert "déjà au format carte" in response.content.decode()
    application.refresh_from_db()
    assert application.status == Status.DRAFT


def test_a_card_holder_is_told_there_is_nothing_to_exchange(client, citizen):
    client.force_login(citizen)
    response = client.post(reverse("titles:start", kwargs={"code": Code.PAPER_EXCHANGE}),
                           {"format": "no", "licence_state": "no"})
    assert "déjà au format carte de crédit" in response.content.decode()
    assert not Application.objects.filter(applicant=citizen).exists()


def test_the_deadline_is_a_dated_rule_and_the_writes_keep_the_neph():
    assert paper_deadline(datetime.date(2026, 3, 10)) == datetime.date(2033, 1, 19)
    procedure = registry.get(Code.PAPER_EXCHANGE)
    assert procedure.fee_total is not None and procedure.fee_cents == 0
    assert [(w.at, w.name) for w in procedure.writes] == [("submit", "ensure_neph"), ("submit", "use_ephoto"),
                                                           ("deliver", "record_delivery")]
