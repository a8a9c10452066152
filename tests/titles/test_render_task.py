"""The PDF task: once per document even when it runs twice, no file left behind, a QR code of the short URL."""

import re
from pathlib import Path

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.qrcode import qr_matrix
from titles import tasks
from titles.enums import DocumentStatus
from titles.models import ApplicationEvent, GeneratedDocument
from titles.pdf import qr_data_uri, verification_qr_url


def _pending_again(document):
    """Put a rendered document back to pending (as if its task had not run), its file gone."""
    Path(document.file.path).unlink()
    GeneratedDocument.objects.filter(pk=document.pk).update(status=DocumentStatus.PENDING, file="", sha256="")


def _stored_files(document):
    return sorted(Path(document.file.storage.location, "generated", document.application.reference).glob("*.pdf"))


@pytest.fixture
def receipt(submitted):
    return GeneratedDocument.objects.get(application=submitted, kind="recepisse")


def test_a_second_run_is_skipped(receipt):
    assert receipt.status == DocumentStatus.READY
    assert tasks.render_document.run(receipt.pk) == "skipped"
    assert ApplicationEvent.objects.filter(application=receipt.application, kind="document_issued").count() == 1
    assert len(_stored_files(receipt)) == 1


def test_the_run_that_loses_the_race_removes_its_file(receipt, monkeypatch):
    _pending_again(receipt)
    original = tasks._store_rendered

    def other_run_first(document, sha256, *args):
        # Another run stores the document while this one renders: this run's UPDATE then matches nothing.
        GeneratedDocument.objects.filter(pk=document.pk).update(status=DocumentStatus.READY, file="other.pdf")
        return original(document, sha256, *args)

    monkeypatch.setattr(tasks, "_store_rendered", other_run_first)
    assert tasks.render_document.run(receipt.pk) == "skipped"
    assert _stored_files(receipt) == []
    assert ApplicationEvent.objects.filter(application=receipt.application, kind="document_issued").count() == 1


def test_a_failure_while_storing_removes_the_file(receipt, monkeypatch):
    _pending_again(receipt)

    def broken(*args):
        raise RuntimeError("database gone")

    monkeypatch.setattr(tasks, "_store_rendered", broken)
    with pytest.raises(RuntimeError):
        tasks.render_document.run(receipt.pk)
    assert _stored_files(receipt) == []
    receipt.refresh_from_db()
    assert receipt.status == DocumentStatus.PENDING  # the sweeper will queue it again


def test_the_rendered_document_is_stored_once_with_its_hash_and_event(receipt):
    _pending_again(receipt)
    assert tasks.render_document.run(receipt.pk) == "rendered"
    receipt.refresh_from_db()
    assert receipt.status == DocumentStatus.READY and receipt.rendered_at is not None
    assert [path.name for path in _stored_files(receipt)] == [Path(receipt.file.name).name]
    event = ApplicationEvent.objects.filter(application=receipt.application, kind="document_issued").last()
    assert event.payload["sha256"] == receipt.sha256
    assert event.payload["verification_code"] == receipt.verification_code


@override_settings(SITE_URL="https://demarches.example.gouv.fr")
def test_the_qr_code_carries_the_short_upper_case_url(receipt, monkeypatch):
    captured = {}
    monkeypatch.setattr(tasks, "render_pdf", lambda name, context: captured.update(context) or b"%PDF-1.7")
    _pending_again(receipt)
    tasks.render_document.run(receipt.pk)
    code = receipt.verification_code
    assert captured["qr"] == qr_data_uri(f"HTTPS://DEMARCHES.EXAMPLE.GOUV.FR/V/{code}")
    assert captured["verify_url"] == f"https://demarches.example.gouv.fr/verifier/{code}/"  # printed in words
    # In upper case the URL fits the alphanumeric mode: version 3 (29 modules, 37 with the quiet zone) at most.
    assert len(qr_matrix(verification_qr_url(code))) <= 37


def test_a_portal_under_a_sub_path_keeps_the_long_url(settings):
    settings.SITE_URL = "https://www.example.gouv.fr/demarches"
    assert verification_qr_url("K7QF3XPAAB12") == "https://www.example.gouv.fr/demarches/verifier/K7QF3XPAAB12/"


def test_the_short_url_leads_to_the_verification_page(client, receipt):
    path = re.sub(r"^HTTPS?://[^/]+", "", verification_qr_url(receipt.verification_code))
    response = client.get(path, follow=True)
    assert response.redirect_chain == [(reverse("titles:verify", kwargs={"code": receipt.verification_code}), 302)]
    assert response.status_code == 200 and "Récépissé de dépôt" in response.content.decode()
    assert client.get("/V/NOTACODE", follow=True).status_code == 404


def test_the_receipt_prints_the_file_as_it_was_filed(receipt, monkeypatch):
    application = receipt.application
    facts = receipt.context
    assert facts["reference"] == application.reference
    assert facts["applicant_name"] == application.applicant.get_full_name()
    assert facts["cert_name"] == application.cert.name
    assert facts["submitted_at"] == application.submitted_at.isoformat()
    assert facts["lines"] and all(isinstance(label, str) and isinstance(value, str) for label, value in facts["lines"])

    # Rendered later (a worker down for hours), the receipt still states the file as it was when filed.
    application.applicant.family_name = "RENOMMÉ"
    application.applicant.save()
    captured = {}
    monkeypatch.setattr(tasks, "render_pdf", lambda name, context: captured.update(context) or b"%PDF-1.7")
    _pending_again(receipt)
    tasks.render_document.run(receipt.pk)
    assert captured["applicant_name"] == facts["applicant_name"] and "RENOMMÉ" not in captured["applicant_name"]
    assert captured["submitted_at"] == application.submitted_at  # a datetime again, for the template's filters
    assert captured["expected_decision_date"] == application.expected_decision_at
    assert captured["reference"] == application.reference and captured["document_title"] == receipt.label


def test_a_document_issued_without_its_facts_takes_them_from_the_file(receipt, monkeypatch):
    # A row written before the facts were stored with the document: the task reads the file, as it used to.
    GeneratedDocument.objects.filter(pk=receipt.pk).update(context={})
    captured = {}
    monkeypatch.setattr(tasks, "render_pdf", lambda name, context: captured.update(context) or b"%PDF-1.7")
    _pending_again(receipt)
    assert tasks.render_document.run(receipt.pk) == "rendered"
    application = receipt.application
    assert captured["applicant_name"] == application.applicant.get_full_name()
    assert captured["cert_name"] == application.cert.name
    assert captured["submitted_at"] == application.submitted_at
    lines = application.procedure.summary_lines(application)
    assert captured["lines"] == [[str(label), str(value)] for label, value in lines]
    assert GeneratedDocument.objects.get(pk=receipt.pk).file.name.startswith(f"generated/{application.reference}/")


def test_the_task_reads_one_row_and_writes_two(receipt, monkeypatch):
    monkeypatch.setattr(tasks, "render_pdf", lambda name, context: b"%PDF-1.7")
    _pending_again(receipt)
    # The document (no join), its conditional UPDATE, the event; the savepoint pair is the test's transaction.
    with CaptureQueriesContext(connection) as queries:
        assert tasks.render_document.run(receipt.pk) == "rendered"
    statements = [query["sql"] for query in queries.captured_queries]
    on_postgresql = connection.vendor == "postgresql"
    # On PostgreSQL the commit does not wait for the disk: the sweeper repairs what a crash could lose.
    expected = ["SELECT", "SAVEPOINT", *(["SET LOCAL synchronous_commit TO OFF"] if on_postgresql else []), "UPDATE",
                "INSERT", "RELEASE"]
    assert [sql if sql.startswith("SET") else sql.split()[0] for sql in statements] == expected
    assert "JOIN" not in statements[0]
