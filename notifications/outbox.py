"""The outbox: an e-mail is an `OutgoingEmail` row written in the business transaction, and
`notifications.tasks.send_email` sends it once the transaction commits; `notifications.tasks.requeue_pending`
catches what a broker outage or a killed worker left pending. Every e-mail takes this way out, Django's own included
(`notifications.backends.OutboxEmailBackend` is the `EMAIL_BACKEND`)."""

import hashlib
import logging
import re
from urllib.parse import urlsplit

from celery import current_app
from django.conf import settings
from django.db import transaction
from kombu.exceptions import OperationalError

from notifications.models import OutgoingEmail

logger = logging.getLogger(__name__)

SEND_TASK = "notifications.tasks.send_email"


def write(key, *, to, subject, body_text, body_html="", reference="", from_email=""):
    """Store an e-mail (idempotent on `key`); return the new row, or None if the key was already written."""
    email, created = OutgoingEmail.objects.get_or_create(
        key=key,
        defaults={
            "to": to,
            "subject": subject[:200],
            "body_text": body_text,
            "body_html": body_html,
            "reference": reference,
            "from_email": from_email,
        },
    )
    return email if created else None


def queue_email(email):
    """Send the row once the current transaction commits (nothing for None, a key already written)."""
    if email is not None:
        run_after_commit(SEND_TASK, email.pk)


def run_after_commit(task_name, *args):
    """Queue a Celery task once the current transaction commits, at once if none is open (looked up by name on
    the current Celery app: the caller needs neither the task's module nor the project's Celery app).

    The outbox row is committed by then: if the broker cannot be reached, the row stays pending and the periodic
    `requeue_pending` sends it later, so the caller (a request that did commit) must not fail."""

    def publish():
        try:
            current_app.tasks[task_name].delay(*args)
        except OperationalError:
            logger.warning("Broker unreachable: %s%r left to requeue_pending", task_name, args, exc_info=True)

    transaction.on_commit(publish)


def message_id(email):
    """Return the Message-ID of an outbox e-mail: fixed by its row (its idempotence key), so every delivery of the
    row carries the same one.

    The outbox delivers at least once: a worker killed after the SMTP server accepted the message but before the
    row was marked sent delivers it again. Mail servers and clients fold copies that share a Message-ID, so the
    citizen sees one message. The key is made a valid ``id-left`` (RFC 5322 ``dot-atom-text``) and kept
    readable, with a digest of it so that two keys that read alike stay apart; the host of ``SITE_URL``, without
    its port, is the ``id-right``."""
    readable = re.sub(r"[^A-Za-z0-9+_=-]+", "-", email.key).strip("-")[:60] or "email"
    digest = hashlib.sha256(email.key.encode()).hexdigest()[:12]
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<{readable}.{digest}@{host}>"
