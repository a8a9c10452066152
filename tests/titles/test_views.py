"""The citizen's journey through a procedure registered by the tests, over HTTP."""

from html.parser import HTMLParser

import pytest
from django.core import mail
from django.urls import reverse
from pypdf import PdfReader

from tests.pdf_support import shows
from tests.titles.conftest import complete_draft, jpeg_upload
from titles import services
from titles.models import Application, GeneratedDocument, Payment
from titles.workflow import Status

pytestmark = pytest.mark.django_db


def test_full_journey(client, procedure, cert, agent, citizen, django_capture_on_commit_callbacks):
    client.force_login(citizen)
    start = reverse("titles:start", kwargs={"code": procedure.code})
    assert "Démarche d&#x27;essai" in client.get(start).content.decode()
    response = client.post(start)
    application = Application.objects.get(applicant=citizen)
    step_url = reverse("titles:step", kwargs={"reference": application.reference, "slug": "details"})
    assert response.url == step_url

    page = client.get(step_url).content.decode()
    assert "Étape 1 sur 4" in page
    # Bad input: French errors, what was typed is kept.
    response = client.post(step_url, {"motive": "loss", "event_date": "31/02/2026"})
    assert response.status_code == 422 and "Saisissez une date valide" in response.content.decode()
    response = client.post(step_url, {"motive": "loss", "event_date": "2026-11-02", "enregistrer": "1"})
    assert response.url == reverse("titles:dashboard")
    assert "Brouillons à reprendre" in client.get(reverse("titles:dashboard")).content.decode()
    response = client.post(step_url, {"motive": "loss", "event_date": "2026-11-02"})
    documents_url = reverse("titles:documents", kwargs={"reference": application.reference})
    assert response.url == documents_url

    response = client.post(documents_url, {"identity": jpeg_upload()})
    payment_url = reverse("titles:payment", kwargs={"reference": application.reference})
    assert response.url == payment_url
    page = client.get(payment_url).content.decode()
    assert "25 €" in page
    response = client.post(payment_url, {"acheter": "1"})
    number = Payment.objects.get(application=application).timbre_number
    recap_url = reverse("titles:recap", kwargs={"reference": application.reference})
    assert response.url == recap_url

    page = client.get(recap_url).content.decode()
    assert "Déposer ma demande" in page and "Perte" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(recap_url)
    detail_url = reverse("titles:detail", kwargs={"reference": application.reference})
    assert response.url == detail_url
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED and application.cert == cert
    assert mail.outbox[-1].to == [citizen.email]

    page = client.get(detail_url).content.decode()
    assert "En attente de prise en charge par CERT de Bordeaux" in page
    receipt = GeneratedDocument.objects.get(application=application, kind="recepisse")
    response = client.get(
        reverse("titles:generated_file", kwargs={"reference": application.reference, "pk": receipt.pk})
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    text = PdfReader(__import__("io").BytesIO(b"".join(response.streaming_content))).pages[0].extract_text()
    assert shows(text, application.reference, citizen.family_name)

    # The same timbre cannot pay twice.
    other = services.create_draft(procedure, applicant=citizen, filed_by=citizen)
    services.save_step(other, "details", {"motive": "loss", "event_date": "2026-11-01"})
    response = client.post(reverse("titles:payment", kwargs={"reference": other.reference}), {"timbre_number": number})
    assert "déjà été utilisé" in response.content.decode()

    # Request for information → the citizen answers with a document → back in review, answer visible.
    services.apply_transition(application, "take", actor=agent)
    with django_capture_on_commit_callbacks(execute=True):
        services.apply_transition(
            application,
            "request_info",
            actor=agent,
            reason="La photo du justificatif est floue : envoyez-en une nette.",
        )
    assert "un complément est nécessaire" in mail.outbox[-1].subject
    page = client.get(detail_url).content.decode()
    assert "La photo du justificatif est floue" in page and "Envoyer ma réponse" in page
    response = client.post(
        reverse("titles:answer", kwargs={"reference": application.reference}),
        {"body": "Voici une photo nette.", "attachment": jpeg_upload("nette.jpg")},
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == Status.IN_REVIEW
    page = client.get(detail_url).content.decode()
    assert "Voici une photo nette." in page and "nette.jpg" in page

    with django_capture_on_commit_callbacks(execute=True):
        services.apply_transition(application, "reject", actor=agent, reason="Le permis n'a jamais été délivré.")
    page = client.get(detail_url).content.decode()
    assert "Le permis n&#x27;a jamais été délivré." in page


def test_hostile_uploads_get_a_french_4xx_and_keep_the_rest(client, procedure, citizen):
    client.force_login(citizen)
    application = services.create_draft(procedure, applicant=citizen, filed_by=citizen)
    url = reverse("titles:documents", kwargs={"reference": application.reference})
    from django.core.files.uploadedfile import SimpleUploadedFile

    cases = [
        SimpleUploadedFile("photo.jpg", b"MZ\x90\x00 this is an exe", content_type="image/jpeg"),
        SimpleUploadedFile("../../etc/passwd.pdf", b"%PDF-1.4 not really a pdf", content_type="application/pdf"),
        SimpleUploadedFile("vide.png", b"", content_type="image/png"),
    ]
    for upload in cases:
        response = client.post(url, {"identity": upload})
        assert response.status_code == 422, upload.name
        assert "fr-error-text" in response.content.decode() or "fr-input-group--error" in response.content.decode()
    assert not application.documents.exists()


def test_draft_can_be_deleted(client, procedure, citizen):
    client.force_login(citizen)
    application = complete_draft(procedure, citizen)
    client.post(reverse("titles:withdraw", kwargs={"reference": application.reference}))
    assert not Application.objects.filter(pk=application.pk).exists()
    from titles.models import Payment

    assert Payment.objects.get().status == "refunded"


def test_verification_page_shows_initials_only(client, submitted):
    receipt = GeneratedDocument.objects.get(application=submitted, kind="recepisse")
    response = client.get(reverse("titles:verify", kwargs={"code": receipt.verification_code}))
    page = response.content.decode()
    assert response.status_code == 200 and "Document authentique et valable" in page
    assert submitted.applicant.initials in page and submitted.applicant.family_name not in page
    code = receipt.verification_code
    typed = f"{code[:4].lower()}-{code[4:8]} {code[8:]}"
    response = client.get(reverse("titles:verify_form"), {"code": typed})
    assert response.status_code == 302
    assert client.get(reverse("titles:verify", kwargs={"code": "ABCDEFGHJKMN"})).status_code == 404
    response = client.get(reverse("titles:verify_form"), {"code": "0000"})
    assert "Ce code n&#x27;est pas valide" in response.content.decode()


def test_dashboard_query_count_is_constant(client, procedure, cert, citizen, django_assert_max_num_queries):
    client.force_login(citizen)
    complete_draft(procedure, citizen)
    with django_assert_max_num_queries(12) as small:
        client.get(reverse("titles:dashboard"))
    for _ in range(5):
        complete_draft(procedure, citizen)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("titles:dashboard"))


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.forms = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "form":
            self.forms.append(attrs.get("action", ""))


def parse_ids(page):
    parser = _Ids()
    parser.feed(page)
    return parser


def test_a_file_awaiting_a_complement_shows_one_form_and_unique_ids(client, submitted, agent, citizen):
    """Issue 14, 9: two near-identical forms (id_body, id_attachment twice); the message form did not answer."""
    services.apply_transition(submitted, "take", actor=agent)
    services.apply_transition(submitted, "request_info", actor=agent, reason="La photo est floue.")
    client.force_login(citizen)
    detail_url = reverse("titles:detail", kwargs={"reference": submitted.reference})
    answer_url = reverse("titles:answer", kwargs={"reference": submitted.reference})
    message_url = reverse("titles:message", kwargs={"reference": submitted.reference})
    for response in (
        client.get(detail_url),
        client.post(answer_url, {"body": ""}),  # the answer form sent back with its error
    ):
        parsed = parse_ids(response.content.decode())
        duplicates = {i for i in parsed.ids if parsed.ids.count(i) > 1}
        assert not duplicates, duplicates
        assert answer_url in parsed.forms and message_url not in parsed.forms

    # Once answered, the file is back in review: the message form returns, alone.
    client.post(answer_url, {"body": "Voici une photo nette."})
    parsed = parse_ids(client.get(detail_url).content.decode())
    assert message_url in parsed.forms and answer_url not in parsed.forms
    assert len(parsed.ids) == len(set(parsed.ids))
