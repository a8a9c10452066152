"""Thin tasks: `send_email` sends one outbox row through the real backend; the periodic `requeue_pending` sends
again what a crash, a killed worker or a broker outage left pending."""

import datetime
import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.utils import timezone

from notifications.enums import EmailStatus
from notifications.models import OutgoingEmail
from notifications.outbox import message_id

logger = logging.getLogger(__name__)

MAX_EMAIL_ATTEMPTS = 10


@shared_task(bind=True, autoretry_for=(OSError,), retry_backoff=True, retry_backoff_max=600, max_retries=8)
def send_email(self, email_id):
    """Send one OutgoingEmail through `NOTIFICATIONS_DELIVERY_BACKEND`: the row is locked and marked sent in the
    same transaction.

    At least once, not exactly once: if the worker dies between the SMTP server's acceptance and the commit, the
    row is still pending and is sent again, under the same Message-ID (``notifications.outbox.message_id``). A
    failure is counted on the row, committed before the task raises for its retry: past `MAX_EMAIL_ATTEMPTS` the
    row is marked failed and `requeue_pending` leaves it."""
    failure = None
    with transaction.atomic():
        email = (
            OutgoingEmail.objects.select_for_update(skip_locked=True)
            .filter(pk=email_id, status=EmailStatus.PENDING)
            .first()
        )
        if email is None:
            return "skipped"
        email.attempts += 1
        message = EmailMultiAlternatives(
            email.subject,
            email.body_text,
            email.from_email or settings.DEFAULT_FROM_EMAIL,
            [email.to],
            headers={"Message-ID": message_id(email)},
            connection=get_connection(settings.NOTIFICATIONS_DELIVERY_BACKEND),
        )
        if email.body_html:
            message.attach_alternative(email.body_html, "text/html")
        try:
            message.send()
        except OSError as exc:
            failure = exc
            email.last_error = str(exc)[:500]
            if email.attempts >= MAX_EMAIL_ATTEMPTS:
                email.status = EmailStatus.FAILED
            email.save(update_fields=["attempts", "last_error", "status"])
        else:
            email.status = EmailStatus.SENT
            email.sent_at = timezone.now()
            email.save(update_fields=["attempts", "status", "sent_at"])
    if failure is not None:
        raise failure  # after the commit: raising inside the block would roll the count back
    return "sent"


@shared_task
def requeue_pending(older_than_seconds=60):
    """Re-queue the e-mails still pending after a crash, a killed worker or a broker outage."""
    cutoff = timezone.now() - datetime.timedelta(seconds=older_than_seconds)
    emails = list(
        OutgoingEmail.objects.filter(status=EmailStatus.PENDING, created_at__lte=cutoff).values_list("pk", flat=True)
    )
    for pk in emails:
        send_email.delay(pk)
    return {"emails": len(emails)}
