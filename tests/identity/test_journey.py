"""The citizen's pré-demande over HTTP: start, steps, timbre, recap, submission, récapitulatif, appointment."""


import pytest
from django.core import mail
from django.urls import reverse

from identity import services
from identity.models import PreDemande, Slot
from tests.identity.conftest import CNI, PASSEPORT, STEPS, as_post, pdf_text, years_ago
from tests.pdf_support import shows
from titles.enums import DocumentStatus
from titles.models import Application, ApplicationEvent, GeneratedDocument, Payment, is_valid_public_code
from titles.procedures import Procedure
from titles.workflow import Status

pytestmark = pytest.mark.django_db

ELIGIBLE = {"abroad": "no", "deposit_place": "france", "french": "yes"}


def start(client, code):
    response = client.post(reverse("titles:start", kwargs={"code": code}), ELIGIBLE)
    assert response.status_code == 302
    return response


def step_url(application, slug):
    return reverse("titles:step", kwargs={"reference": application.reference, "slug": slug})


def test_passeport_journey(client, citizen, cert, mairies, slots, django_capture_on_commit_callbacks):
    client.force_login(citizen)
    page = client.get(reverse("titles:start", kwargs={"code": PASSEPORT})).content.decode()
    assert "Pré-demande de passeport" in page and "86 € pour un majeur" in page
    response = start(client, PASSEPORT)
    application = Application.objects.get(applicant=citizen)
    assert response.url == step_url(application, "motif")

    # Each step, in order; the état civil is pre-filled with the applicant's identity.
    response = client.post(step_url(application, "motif"), as_post(STEPS["motif"]))
    assert response.url == step_url(application, "etat_civil")
    page = client.get(step_url(application, "etat_civil")).content.decode()
    assert f'value="{citizen.family_name}"' in page and 'value="1985-05-17"' in page
    etat_civil = {**STEPS["etat_civil"], "family_name": citizen.family_name, "given_names": citizen.given_names}
    response = client.post(step_url(application, "etat_civil"), as_post(etat_civil))
    assert response.url == step_url(application, "filiation")
    response = client.post(step_url(application, "filiation"), as_post(STEPS["filiation"]))
    assert response.url == step_url(application, "nationalite")
    response = client.post(step_url(application, "nationalite"), as_post(STEPS["nationalite"]))
    assert response.url == step_url(application, "coordonnees")
    # A landline for the SMS is refused, with the French message, and what was typed is kept.
    response = client.post(step_url(application, "coordonnees"), {**as_post(STEPS["coordonnees"]),
                                                                  "mobile": "04 94 12 34 56"})
    assert response.status_code == 422 and "numéro de mobile français" in response.content.decode()
    response = client.post(step_url(application, "coordonnees"), {**as_post(STEPS["coordonnees"]),
                                                                  "mobile": "+33 6 12 34 56 78"})
    payment_url = reverse("titles:payment", kwargs={"reference": application.reference})
    assert response.url == payment_url
    application.refresh_from_db()
    assert application.data["coordonnees"]["mobile"] == "0612345678"

    # The timbre is bought through the embedded issuer, then used: 86 € for an adult.
    page = client.get(payment_url).content.decode()
    assert "Timbre fiscal — passeport, majeur" in page and "86 €" in page
    recap_url = reverse("titles:recap", kwargs={"reference": application.reference})
    assert client.post(payment_url, {"acheter": "1"}).url == recap_url
    assert Payment.objects.get(application=application).amount_cents == 8600

    page = client.get(recap_url).content.decode()
    assert "Déposer ma demande" in page and "Première demande" in page and "06 12 34 56 78" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(recap_url)
    # Straight to the pré-demande's page: its number, and the next step.
    assert response.url == reverse("identity:pre_demande", kwargs={"reference": application.reference})
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED and application.cert == cert and application.fee_cents == 8600

    # The numéro de pré-demande, its e-mail, and the récapitulatif PDF with the number, the name and the QR code.
    pre_demande = PreDemande.objects.get(application=application)
    assert len(pre_demande.number) == 10 and is_valid_public_code(pre_demande.number)
    assert pre_demande.expires_on.month in {(application.submitted_at.month + 6 - 1) % 12 + 1}
    assert any(pre_demande.number_display in m.body for m in mail.outbox if "numéro de pré-demande" in m.subject)
    recapitulatif = GeneratedDocument.objects.get(application=application, kind="recapitulatif")
    assert recapitulatif.status == DocumentStatus.READY and recapitulatif.valid_until == pre_demande.expires_on
    text = pdf_text(recapitulatif)
    # Compared without white space: the text extraction may split a kerned word (say « WV ») with a space.
    compact = "".join(text.split())
    assert pre_demande.number in compact and "".join(pre_demande.number_display.split()) in compact
    assert shows(text, citizen.family_name, "Pièces à apporter", recapitulatif.verification_code)
    response = client.get(reverse("titles:generated_file",
                                  kwargs={"reference": application.reference, "pk": recapitulatif.pk}))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")  # consumed: the test client closes the file
    assert client.get(reverse("titles:detail", kwargs={"reference": application.reference})).status_code == 200

    # The pré-demande page: the number, no appointment yet, the pièces (the timbre already paid).
    pre_demande_url = reverse("identity:pre_demande", kwargs={"reference": application.reference})
    page = client.get(pre_demande_url).content.decode()
    assert pre_demande.number_display in page and "pas encore de rendez-vous" in page
    assert "photo d&#x27;identité de moins de 6 mois" in page and "déjà payé en ligne" in page

    # Book a slot: the equipped mairies of the Var only (not Cotignac, not Nice), then the confirmation e-mail.
    appointment_url = reverse("identity:appointment", kwargs={"reference": application.reference})
    page = client.get(appointment_url).content.decode()
    assert "Mairie de Toulon" in page and "Mairie de Hyères" in page
    assert "Mairie de Cotignac" not in page and "Mairie de Nice" not in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(appointment_url, {"slot": slots["toulon"].pk})
    assert response.url == pre_demande_url
    slots["toulon"].refresh_from_db()
    assert slots["toulon"].application == application
    confirmation = mail.outbox[-1]
    assert confirmation.to == [citizen.email] and "rendez-vous en mairie" in confirmation.subject
    assert "Mairie de Toulon" in confirmation.body and "photo d'identité de moins de 6 mois" in confirmation.body
    assert pre_demande.number_display in confirmation.body
    page = client.get(pre_demande_url).content.decode()
    assert "Mairie de Toulon" in page and "Changer de rendez-vous" in page
    event = ApplicationEvent.objects.get(application=application, kind="appointment_booked")
    assert event.actor == citizen and event.payload["slot"] == slots["toulon"].pk

    # Move it, then cancel it.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(appointment_url, {"slot": slots["hyeres"].pk})
    assert Slot.objects.get(application=application) == slots["hyeres"]
    assert "déplacé" in mail.outbox[-1].body
    cancel_url = reverse("identity:cancel", kwargs={"reference": application.reference})
    assert client.post(cancel_url, {}).status_code == 422  # not confirmed
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(cancel_url, {"confirm": "on"}).url == pre_demande_url
    assert not Slot.objects.filter(application=application).exists()
    assert "annulé" in mail.outbox[-1].subject


def test_cni_for_a_child_needs_no_payment_and_says_the_child_comes(client, citizen, cert, mairies,
                                                                  django_capture_on_commit_callbacks):
    client.force_login(citizen)
    start(client, CNI)
    application = Application.objects.get(applicant=citizen)
    client.post(step_url(application, "motif"), as_post({**STEPS["motif"], "beneficiary": "child"}))
    page = client.get(step_url(application, "etat_civil")).content.decode()
    assert "Nom de naissance de l&#x27;enfant" in page
    child = {**STEPS["etat_civil"], "given_names": "Léo", "birth_date": years_ago(13)}
    # A child must be a minor.
    response = client.post(step_url(application, "etat_civil"), as_post({**child, "birth_date": years_ago(19)}))
    assert response.status_code == 422 and "Une personne majeure fait sa pré-demande elle-même" in \
        response.content.decode()
    client.post(step_url(application, "etat_civil"), as_post(child))
    for slug in ("filiation", "nationalite"):
        client.post(step_url(application, slug), as_post(STEPS[slug]))
    response = client.post(step_url(application, "coordonnees"), as_post({**STEPS["coordonnees"], "mobile": ""}))
    recap_url = reverse("titles:recap", kwargs={"reference": application.reference})
    assert response.url == recap_url  # a CNI first request is free: no payment step
    with django_capture_on_commit_callbacks(execute=True):
        client.post(recap_url)
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED and application.fee_cents == 0
    text = pdf_text(GeneratedDocument.objects.get(application=application, kind="recapitulatif"))
    assert shows(text, "MARTIN", "Léo", citizen.get_full_name())
    assert "ses empreintes digitales sont relevées" in text
    page = client.get(reverse("identity:pre_demande", kwargs={"reference": application.reference})).content.decode()
    assert "pièce d&#x27;identité du parent" in page and "sa présence est obligatoire" in page


def test_cni_after_a_loss_asks_for_a_25_euro_timbre(client, citizen, cert):
    client.force_login(citizen)
    start(client, CNI)
    application = Application.objects.get(applicant=citizen)
    client.post(step_url(application, "motif"), as_post({**STEPS["motif"], "motif": "perte"}))
    etat_civil = {**STEPS["etat_civil"], "family_name": citizen.family_name, "given_names": citizen.given_names}
    client.post(step_url(application, "etat_civil"), as_post(etat_civil))
    for slug in ("filiation", "nationalite"):
        client.post(step_url(application, slug), as_post(STEPS[slug]))
    response = client.post(step_url(application, "coordonnees"), as_post(STEPS["coordonnees"]))
    assert response.url == reverse("titles:payment", kwargs={"reference": application.reference})
    assert "25 €" in client.get(response.url).content.decode()


def test_the_renewal_asks_for_the_current_title(client, citizen, cert):
    client.force_login(citizen)
    start(client, PASSEPORT)
    application = Application.objects.get(applicant=citizen)
    response = client.post(step_url(application, "motif"), as_post({**STEPS["motif"], "motif": "renouvellement"}))
    assert response.status_code == 422
    assert "Indiquez la date de fin de validité du titre actuel." in response.content.decode()


def test_the_file_page_shows_the_pre_demande_and_the_appointment(client, citizen, submit, slots):
    application = submit(citizen)
    services.book_slot(application, slots["toulon"].pk, actor=citizen)
    panel = application.procedure.detail_panel(application, citizen)
    assert application.pre_demande.number_display in panel and "Mairie de Toulon" in panel
    assert "Changer de rendez-vous" in panel and "photo d&#x27;identité de moins de 6 mois" in panel
    client.force_login(citizen)
    page = client.get(reverse("titles:detail", kwargs={"reference": application.reference})).content.decode()
    assert "Rendez-vous pris en mairie" in page  # the timeline names the identity events
    if "detail_panel" not in vars(Procedure):
        pytest.skip("the engine's file page has no procedure block yet (Procedure.detail_panel, see the report)")
    assert application.pre_demande.number_display in page and "Mairie de Toulon" in page


def test_the_status_says_the_mairie_comes_before_the_cert(client, citizen, submit, slots, mairies, mairie_agent):
    application = submit(citizen)
    procedure = application.procedure
    assert procedure.status_summary(application).waiting_for == "vous"
    services.book_slot(application, slots["toulon"].pk, actor=citizen)
    summary = procedure.status_summary(application)
    assert "Mairie de Toulon" in summary.detail and summary.tone == "info"
    client.force_login(citizen)
    if "status_summary" in vars(Procedure):
        page = client.get(reverse("titles:detail", kwargs={"reference": application.reference})).content.decode()
        assert "Pré-demande enregistrée" in page and "En attente de prise en charge" not in page
    services.record_deposit(application.pre_demande, agent=mairie_agent, mairie=mairies["toulon"],
                            fingerprints_taken=True, pieces=["photo", "domicile", "timbre"])
    assert procedure.status_summary(application) is None  # the engine's own wording: waiting for the CERT
