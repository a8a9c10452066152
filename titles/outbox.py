"""After-commit delivery of the outbox rows (e-mails, PDFs): the rows are written in the business transaction,
the Celery task is queued once it commits, and `titles.tasks.requeue_pending` catches what a broker outage lost."""

import logging

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
