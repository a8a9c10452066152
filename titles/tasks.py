"""Thin tasks: take ids, re-fetch, do one thing, idempotent. The periodic `requeue_pending` renders what a crash
or a broker outage left behind (e-mails: `notifications.tasks`)."""

import datetime
import hashlib
import logging

from celery import shared_task
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from titles import cards, services, stats
from titles.enums import DocumentStatus
from titles.events import record_event
from titles.models import Application, GeneratedDocument
from titles.pdf import qr_data_uri, render_pdf, verification_qr_url
from titles.sealing import seal_bytes, unseal
from titles.workflow import Actor

logger = logging.getLogger(__name__)

@shared_task(bind=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def render_document(self, document_id):
    """Render one GeneratedDocument to PDF once; record the template version and SHA-256 in its event.

    The document's secrets (context keys starting with ``secret_``, stored sealed) are never printed on it: the
    file everyone allowed on the file downloads (its CERT's agents included) goes without them. When there are
    some, a second copy printing them is rendered and stored sealed, for the filer to take once
    (`titles.services.take_sealed_copy`); the secrets leave the row with the render."""
    try:
        document = GeneratedDocument.objects.get(pk=document_id, status=DocumentStatus.PENDING)
    except GeneratedDocument.DoesNotExist:
        return "skipped"
    context = document_context(document)
    content = render_pdf(document.template_name, context)
    sha256 = hashlib.sha256(content).hexdigest()
    document.file.save("document.pdf", ContentFile(content), save=False)
    copy_name = ""
    try:
        opened = opened_secrets(document)
        if opened:
            copy = render_pdf(document.template_name, {**context, **opened})
            copy_name = document.file.storage.save(
                document.file.name.removesuffix(".pdf") + "-exemplaire.sealed", ContentFile(seal_bytes(copy))
            )
        claimed = _store_rendered(document, sha256, copy_name)
    except BaseException:
        _delete_files(document, copy_name)
        raise
    if not claimed:
        _delete_files(document, copy_name)  # another run of this task stored the document first
        return "skipped"
    return "rendered"


def _delete_files(document, copy_name):
    document.file.delete(save=False)
    if copy_name:
        document.file.storage.delete(copy_name)


def opened_secrets(document):
    """The document's secrets, unsealed, for the one copy that prints them (a value that does not open is left
    out: it is never printed in clear from the row)."""
    opened = {key: unseal(value) for key, value in document.context.items() if key.startswith("secret_")}
    return {key: value for key, value in opened.items() if value is not None}


def document_context(document):
    """The template's context: the facts stored with the document when it was issued, its own fields, the QR code
    of its verification URL."""
    facts = {key: value for key, value in document.context.items() if not key.startswith("secret_")}
    if "reference" not in facts:  # a row issued before the facts were stored with it
        application = document.application
        facts = {**services.document_facts(application, application.procedure), **facts}
    return {
        **facts,
        "submitted_at": _parse(datetime.datetime, facts.get("submitted_at")),
        "expected_decision_date": _parse(datetime.date, facts.get("expected_decision_date")),
        "document_title": document.label,
        "verification_code": document.verification_code,
        "verify_url": settings.SITE_URL + f"/verifier/{document.verification_code}/",
        "issued_at": document.issued_at,
        "valid_until": document.valid_until,
        "qr": qr_data_uri(verification_qr_url(document.verification_code)),
    }


def _parse(kind, value):
    return kind.fromisoformat(value) if isinstance(value, str) and value else value


@transaction.atomic
def _store_rendered(document, sha256, copy_name=""):
    """Mark the document ready with its file, in one conditional UPDATE, and record the event; False if another
    run of the task got there first. A secret (e.g. a code de cession, stored sealed) leaves the row once its
    sealed copy is stored (`copy_name`)."""
    _commit_without_waiting_for_the_disk()
    changes = {
        "file": document.file.name,
        "sha256": sha256,
        "status": DocumentStatus.READY,
        "rendered_at": timezone.now(),
    }
    if copy_name or any(key.startswith("secret_") for key in document.context):
        changes["context"] = {key: value for key, value in document.context.items() if not key.startswith("secret_")}
        if copy_name:
            changes["context"]["sealed_copy"] = copy_name
    claimed = GeneratedDocument.objects.filter(pk=document.pk, status=DocumentStatus.PENDING).update(**changes)
    if not claimed:
        return False
    record_event(
        # The file by its key only: a system event names no organisation and acts for nobody, and the file's row
        # need not be read for it.
        Application(pk=document.application_id),
        "document_issued",
        actor=None,
        role=Actor.SYSTEM,
        payload={
            "kind": document.kind,
            "template": document.template_name,
            "template_version": document.template_version,
            "sha256": sha256,
            "verification_code": document.verification_code,
        },
    )
    return True


def _commit_without_waiting_for_the_disk():
    """PostgreSQL: this transaction's commit returns before its WAL reaches the disk (``synchronous_commit`` off,
    for this transaction only), which spares the worker a disk flush per document (≈ 1 ms here, more on a busy disk).

    What it risks is bounded and repaired: a server crash within the WAL writer's delay (≤ 3 × 200 ms) loses the
    whole transaction, never part of it — the row is pending again, without its event — and ``requeue_pending``
    renders the document again, to the same bytes. Nothing else relies on this commit (the e-mail has its own row).
    """
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


@shared_task
def requeue_pending(older_than_seconds=60):
    """Re-queue the PDFs still pending after a crash, a killed worker or a broker outage (the e-mails:
    `notifications.tasks.requeue_pending`)."""
    cutoff = timezone.now() - datetime.timedelta(seconds=older_than_seconds)
    documents = list(
        GeneratedDocument.objects.filter(status=DocumentStatus.PENDING, issued_at__lte=cutoff).values_list(
            "pk", flat=True
        )
    )
    for pk in documents:
        render_document.delay(pk)
    return {"documents": len(documents)}


@shared_task
def clean_up_drafts():
    """Daily: remind the owners of drafts about to expire, delete those that expired."""
    return {"reminded": services.remind_stale_drafts(), "deleted": services.delete_stale_drafts()}


@shared_task(bind=True, autoretry_for=(OSError, ConnectionError), retry_backoff=True, max_retries=8)
def refund_card_payment(self, payment_id):
    """Ask the payment provider to refund one card payment marked `refund_pending` (once: the service locks it)."""
    payment = cards.refund_card_payment(payment_id)
    return payment.status if payment else "skipped"


@shared_task
def requeue_card_refunds():
    """Ask again for the refunds a broker outage or a killed worker left pending (periodic, like `requeue_pending`)."""
    pending = cards.pending_refunds()
    for payment_id in pending:
        refund_card_payment.delay(payment_id)
    return len(pending)


@shared_task
def refresh_statistics():
    """Recompute the public statistics' snapshot (`titles.stats.refresh_snapshot`), every 5 minutes from beat."""
    dashboard, _history = stats.refresh_snapshot()
    return str(dashboard.now)
