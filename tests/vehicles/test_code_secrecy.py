"""The code de cession is seen by the declarant only: on screen once, and on their own copy of the accusé, downloaded
once. Nothing stores it in clear — not the document's stored context while the worker is down, not the session,
not an event, an e-mail or the draft — and the accusé on the file (what the CERT's agents download) goes without it."""

import datetime
import io
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from accounts.enums import Role
from tests.factories import MembershipFactory
from tests.pdf_support import shows
from tests.vehicles.conftest import declare_cession
from titles import tasks
from titles.enums import DocumentStatus
from titles.models import Application, ApplicationEvent, GeneratedDocument
from titles.sealing import unseal
from vehicles import register
from vehicles.formats import display_code, new_code_de_cession

pytestmark = pytest.mark.django_db


def rows_holding(code):
    """Return every database row (as text) that holds the code in clear, whatever its table; sessions decoded."""
    needles = {code.lower(), display_code(code).lower()}
    found = []
    for model in apps.get_models():
        for row in model._base_manager.values():
            text = str(row).lower()
            if any(needle in text for needle in needles):
                found.append(f"{model._meta.label}: {text[:200]}")
    for session in Session.objects.all():
        text = str(session.get_decoded()).lower()
        if any(needle in text for needle in needles):
            found.append(f"session: {text[:200]}")
    return found


def pdf_text(content):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def declare_over_http(client, seller, vehicle):
    client.force_login(seller)
    response = client.post(reverse("vehicles:start_for_vehicle", args=[vehicle.pk, "cession"]))
    sold_at = timezone.localtime() - datetime.timedelta(hours=3)
    response = client.post(response.url, {
        "vehicule-registration_number": vehicle.registration_number,
        "vehicule-numero_formule": vehicle.numero_formule,
        "vehicule-family_name": seller.family_name, "vehicule-given_names": seller.given_names,
        "cession-sold_on": sold_at.date().isoformat(), "cession-sold_time": sold_at.strftime("%H:%M"),
        "cession-mileage": "84200",
        "acquereur-buyer_kind": "person", "acquereur-family_name": "Benali", "acquereur-given_names": "Karim",
        "acquereur-email": "karim@exemple.test",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    return Application.objects.get(applicant=seller), response.url


def test_with_the_worker_down_no_row_holds_the_code_in_clear(client, seller, buyer, vehicle, cert, monkeypatch):
    code = new_code_de_cession()
    monkeypatch.setattr(register, "new_code_de_cession", lambda: code)
    # No after-commit callback runs here: the PDFs stay pending, as while the worker is down.
    declaration, code_url = declare_over_http(client, seller, vehicle)
    accuse = GeneratedDocument.objects.get(application=declaration, kind="accuse-cession")
    assert accuse.status == DocumentStatus.PENDING
    assert rows_holding(code) == []
    # What waits for the declarant's copy is sealed, and opens to the code.
    assert unseal(accuse.context["secret_code_de_cession"]) == display_code(code)

    # The seller sees it once.
    page = client.get(code_url).content.decode()
    assert display_code(code) in page
    assert display_code(code) not in client.get(code_url).content.decode()

    # The worker comes back: the secret leaves the row, still never in clear anywhere.
    assert tasks.render_document(accuse.pk) == "rendered"
    accuse.refresh_from_db()
    assert accuse.status == DocumentStatus.READY and "secret_code_de_cession" not in accuse.context
    assert rows_holding(code) == []
    with accuse.file.storage.open(accuse.context["sealed_copy"], "rb") as handle:
        sealed = handle.read()
    assert not sealed.startswith(b"%PDF") and code.encode() not in sealed


def test_the_agent_gets_the_accuse_without_the_code_the_seller_gets_it_once(
        client, verified_client, seller, buyer, vehicle, cert, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        declaration, code = declare_cession(seller, vehicle, buyer=buyer)
    accuse = GeneratedDocument.objects.get(application=declaration, kind="accuse-cession")

    agent = MembershipFactory(organisation=cert, role=Role.AGENT).user
    agent_client = verified_client(agent)
    response = agent_client.get(reverse("backoffice:generated_file",
                                        kwargs={"reference": declaration.reference, "pk": accuse.pk}))
    assert response.status_code == 200
    text = pdf_text(b"".join(response.streaming_content))
    assert shows(text, vehicle.registration_number, "ne figure pas sur cet exemplaire")
    assert not shows(text, code) and not shows(text, display_code(code))
    # The declarant's copy is not the agent's to take.
    copy_url = reverse("vehicles:seller_copy", kwargs={"reference": declaration.reference})
    assert agent_client.get(copy_url).status_code == 404

    client.force_login(seller)
    copy_name = accuse.context["sealed_copy"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(copy_url)
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert shows(pdf_text(response.content), display_code(code))
    assert not accuse.file.storage.exists(copy_name)
    event = ApplicationEvent.objects.get(application=declaration, kind="sealed_copy_taken")
    assert event.actor == seller
    # Once.
    response = client.get(copy_url, follow=True)
    assert "déjà été téléchargé" in response.content.decode()
    assert ApplicationEvent.objects.filter(kind="sealed_copy_taken").count() == 1


def test_a_run_that_loses_the_race_leaves_no_copy_behind(seller, buyer, vehicle, cert, monkeypatch):
    declaration, _ = declare_cession(seller, vehicle, buyer=buyer)  # pending: no worker ran
    accuse = GeneratedDocument.objects.get(application=declaration, kind="accuse-cession")
    original = tasks._store_rendered

    def other_run_first(document, sha256, *args):
        GeneratedDocument.objects.filter(pk=document.pk).update(status=DocumentStatus.READY, file="other.pdf")
        return original(document, sha256, *args)

    monkeypatch.setattr(tasks, "_store_rendered", other_run_first)
    assert tasks.render_document.run(accuse.pk) == "skipped"
    folder = Path(accuse.file.storage.location, "generated", declaration.reference)
    assert not folder.exists() or list(folder.iterdir()) == []
