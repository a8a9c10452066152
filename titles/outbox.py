"""After-commit delivery of the outbox rows (e-mails, PDFs): the rows are written in the business transaction,
the Celery task is queued once it commits, and `titles.tasks.requeue_pending` catches what a broker outage lost."""

import hashlib
import logging
import re
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from kombu.exceptions import OperationalError

from portal.celery import app as celery_app

logger = logging.getLogger(__name__)


def queue_email(email):
    if email is not None:
        run_after_commit("titles.tasks.send_email", email.pk)


def run_after_commit(task_name, *args):
    """Queue a Celery task once the current transaction commits (looked up by name: tasks call services).

    The outbox row is committed by then: if the broker cannot be reached, the row stays pending and
    `requeue_pending` sends it later, so the caller (a request that did commit) must not fail."""

    def publish():
        try:
            celery_app.tasks[task_name].delay(*args)
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
