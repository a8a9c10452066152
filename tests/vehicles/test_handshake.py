"""The seller ↔ buyer handshake, end to end over HTTP: the seller declares the cession and sees the code once,
the buyer is invited by e-mail, files the changement de titulaire with the code, pays through the embedded
timbre issuer, and prints the CPI; both parties are told by e-mail; the PDFs hold the plate and the names."""

import datetime
import io
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from tests.pdf_support import shows
from tests.vehicles.conftest import card_form, jpeg_upload
from titles.enums import DocumentStatus
from titles.models import Application, GeneratedDocument
from titles.workflow import Status
from vehicles.enums import CHANGEMENT_TITULAIRE
from vehicles.models import Cession, CodeAttempt

pytestmark = pytest.mark.django_db


def pdf_text(document):
    document.refresh_from_db()
    assert document.status == DocumentStatus.READY
    with document.file.open("rb") as handle:
        pages = PdfReader(handle).pages
        assert len(pages) == 1, document.kind  # one sheet to print
        return "\n".join(page.extract_text() for page in pages)


def test_seller_declares_buyer_registers_with_the_code(client, seller, buyer, vehicle, cert,
                                                       django_capture_on_commit_callbacks):
    # --- The seller, from « Mes véhicules ».
    client.force_login(seller)
    page = client.get(reverse("vehicles:my_vehicles")).content.decode()
    assert vehicle.registration_number in page and "Déclarer la vente ou le don" in page
    response = client.post(reverse("vehicles:start_for_vehicle", args=[vehicle.pk, "cession"]))
    declaration = Application.objects.get(applicant=seller)
    declare_url = reverse("vehicles:declare_cession", kwargs={"reference": declaration.reference})
    assert response.url == declare_url
    page = client.get(declare_url).content.decode()
    assert vehicle.registration_number in page and "DUBOIS" in page  # pre-filled, the formule is not

    sold_at = timezone.localtime() - datetime.timedelta(hours=3)
    form = {
        "vehicule-registration_number": vehicle.registration_number.lower().replace("-", " "),
        "vehicule-numero_formule": vehicle.numero_formule,
        "vehicule-family_name": "dubois", "vehicule-given_names": "Angela",
        "cession-sold_on": sold_at.date().isoformat(), "cession-sold_time": sold_at.strftime("%H:%M"),
        "cession-mileage": "84200",
        "acquereur-buyer_kind": "person", "acquereur-family_name": "Benali", "acquereur-given_names": "Karim",
        "acquereur-email": "KARIM@exemple.test",
    }
    # A wrong numéro de formule: the one generic message, nothing registered.
    response = client.post(declare_url, {**form, "vehicule-numero_formule": "2023KR04716"})
    assert response.status_code == 422
    assert "ne correspondent à aucun véhicule" in response.content.decode()
    assert not Cession.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(declare_url, form)
    code_url = reverse("vehicles:cession_code", kwargs={"reference": declaration.reference})
    assert response.status_code == 302 and response.url == code_url
    page = client.get(code_url).content.decode()
    match = re.search(r'id="code-de-cession">([^<]{14})<', page)
    assert match, page[page.find("<h1"):page.find("<h1") + 1500]
    code = match.group(1)
    assert "Notez-le maintenant" in page
    # Shown once: the register keeps an HMAC only, the page does not show it again.
    page = client.get(code_url).content.decode()
    assert code not in page and "accusé d'enregistrement" in page
    cession = Cession.objects.get()
    assert code.replace("-", "") not in cession.code_hash and len(cession.code_hash) == 64
    declaration.refresh_from_db()
    assert declaration.status == Status.SUBMITTED and declaration.cert == cert
    assert code.replace("-", "") not in str(declaration.data)

    # The accusé on the file goes without the code; the seller's own copy prints it, downloaded once. The CSA says
    # the situation; both name plate and seller.
    accuse = GeneratedDocument.objects.get(application=declaration, kind="accuse-cession")
    text = pdf_text(accuse)
    assert not shows(text, code) and vehicle.registration_number in text and "DUBOIS ANGELA CLAIRE LOUISE" in text
    assert "BENALI Karim" in text
    assert not any(key.startswith("secret_") for key in accuse.context)
    copy_url = reverse("vehicles:seller_copy", kwargs={"reference": declaration.reference})
    assert copy_url in page
    response = client.get(copy_url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    # Squashed: the text extraction may split the code where the font kerns two of its letters.
    assert shows("".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages), code)
    text = pdf_text(GeneratedDocument.objects.get(application=declaration, kind="csa"))
    assert vehicle.registration_number in text and "DUBOIS ANGELA CLAIRE LOUISE" in text and "Gage" in text

    # --- The buyer is invited by e-mail, with a link that opens their side.
    invitation = next(m for m in mail.outbox if m.to == ["karim@exemple.test"])
    assert vehicle.registration_number in invitation.subject and code not in invitation.body
    link = re.search(r"(http://\S+/vehicules/acquisition/\?immatriculation=\S+)", invitation.body).group(1)
    path = link.split("127.0.0.1:8000")[-1]

    client.force_login(buyer)
    page = client.get(path).content.decode()
    assert "vous a été cédé" in page and vehicle.registration_number in page
    response = client.post(path, {"immatriculation": vehicle.registration_number})
    application = Application.objects.get(applicant=buyer, procedure_code=CHANGEMENT_TITULAIRE)
    step_url = reverse("titles:step", kwargs={"reference": application.reference, "slug": "vehicule"})
    assert response.url == step_url
    page = client.get(step_url).content.decode()
    assert vehicle.registration_number in page  # pre-filled from the invitation

    response = client.post(step_url, {"registration_number": vehicle.registration_number,
                                      "code_de_cession": code.lower()})
    titulaire_url = reverse("titles:step", kwargs={"reference": application.reference, "slug": "titulaire"})
    assert response.status_code == 302 and response.url == titulaire_url
    application.refresh_from_db()
    assert application.data["vehicule"]["code_de_cession"] == "" and code.replace("-", "") not in str(
        application.data)
    page = client.get(titulaire_url).content.decode()
    assert "Draguignan" in page  # pre-filled from the profile
    response = client.post(titulaire_url, {"address_line": "3 place du Marché", "postal_code": "83300",
                                           "city": "Draguignan"})
    controle_url = reverse("titles:step", kwargs={"reference": application.reference, "slug": "controle"})
    assert response.url == controle_url
    assert "moins de 4 ans" in client.get(controle_url).content.decode()
    response = client.post(controle_url, {"continuer": ""})
    documents_url = reverse("titles:documents", kwargs={"reference": application.reference})
    assert response.url == documents_url
    response = client.post(documents_url, {"identity": jpeg_upload(), "proof_of_address": jpeg_upload(),
                                           "driving_licence": jpeg_upload()})
    recap_url = reverse("titles:recap", kwargs={"reference": application.reference})
    payment_url = reverse("titles:payment", kwargs={"reference": application.reference})
    assert response.url == recap_url
    page = client.get(recap_url).content.decode()
    assert "Angela Claire Louise Dubois" in page and "300 €" in page
    assert f'href="{payment_url}">Continuer vers le paiement' in page and "Déposer ma demande" not in page

    # The last step, « Paiement et dépôt »: the fee, line by line (PACA 60 € × 5 CV, taxe fixe, acheminement), then
    # the card, which pays and files at once.
    page = client.get(payment_url).content.decode()
    assert "Paiement et dépôt" in page and "Étape 6 sur 6" in page
    assert "Taxe régionale (Y1) — 5 CV × 60 €" in page and "300 €" in page
    assert "Taxe fixe (Y4)" in page and "11 €" in page and "2,76 €" in page and "313,76 €" in page
    assert "Payer 313,76 € et déposer ma demande" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(payment_url, card_form())
    assert response.url == reverse("titles:detail", kwargs={"reference": application.reference})
    assert application.payments.get().card_last4 == "4242"

    # --- The register now knows the buyer; the code is spent; the old certificate proves nothing.
    application.refresh_from_db()
    cession.refresh_from_db()
    vehicle.refresh_from_db()
    assert application.status == Status.SUBMITTED and application.cert == cert
    assert cession.used_by_application == application
    assert [h.user for h in vehicle.holders.current()] == [buyer] and vehicle.numero_formule == ""
    assert vehicle.city == "Draguignan"
    assert CodeAttempt.objects.filter(success=False, kind="ownership").count() == 1  # the seller's typo
    assert not CodeAttempt.objects.filter(success=False, kind="code_de_cession").exists()

    # The CPI is there at once, valid a month, with the plate and the new holder's name.
    cpi = GeneratedDocument.objects.get(application=application, kind="cpi")
    assert cpi.valid_until > timezone.localdate() + datetime.timedelta(days=27)
    response = client.get(reverse("titles:generated_file", kwargs={"reference": application.reference,
                                                                    "pk": cpi.pk}))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    # Reading the stream to its end closes the file (as a WSGI server would).
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    text = pdf_text(cpi)
    assert vehicle.registration_number in text and "BENALI KARIM" in text and "Draguignan" in text
    assert "en France uniquement" in text

    # Both parties heard: the buyer's confirmation, the seller told the buyer completed.
    assert any(m.to == [buyer.email] and application.reference in m.subject for m in mail.outbox)
    told = [m for m in mail.outbox if m.to == [seller.email] and "changement de titulaire" in m.subject]
    assert len(told) == 1 and vehicle.registration_number in told[0].body

    # The seller's space: the vehicle is no longer theirs; the buyer's: it is.
    client.force_login(seller)
    assert vehicle.registration_number not in client.get(reverse("vehicles:my_vehicles")).content.decode()
    client.force_login(buyer)
    page = client.get(reverse("vehicles:my_vehicles")).content.decode()
    assert vehicle.registration_number in page and "nouvelle carte grise est en cours de fabrication" in page
