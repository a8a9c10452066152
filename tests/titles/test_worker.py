"""The outbox against PostgreSQL, Redis and a real Celery worker (issue 3): every submission gets its PDF and its
e-mail exactly once, whether the worker is up, down for a while, or the broker is unreachable at submission time.

Needs DATABASE_URL (PostgreSQL) and REDIS_URL, as `.ci/run` sets them; skipped otherwise.
"""

import hashlib
import os
import re
import socket
import time

import pytest
from django.conf import settings
from django.db import connection

from notifications import tasks as notification_tasks
from notifications.enums import EmailStatus
from notifications.models import OutgoingEmail
from tests.titles.conftest import complete_draft
from tests.worker_support import CeleryWorker, broker_prefix, database_url_for, publishing_to
from titles import services
from titles.enums import DocumentStatus
from titles.models import Application, ApplicationEvent, GeneratedDocument
from titles.tasks import requeue_pending
from titles.workflow import Status

REDIS_URL = os.environ.get("REDIS_URL", "")

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL is not set: no broker for a real Celery worker"),
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="needs PostgreSQL (DATABASE_URL=postgres://…): the worker and the tests share the test database",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WAIT_SECONDS = 30
MESSAGE_ID = re.compile(rb"^Message-ID: (.+?)\r?$", re.MULTILINE)


@pytest.fixture(scope="module")
def celery_worker(django_db_setup, django_db_blocker, tmp_path_factory):
    """One worker per pytest process (xdist worker), on this process's test database and its own Redis prefix."""
    xdist_worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    base = tmp_path_factory.mktemp("celery-worker")
    worker = CeleryWorker(
        database_url=database_url_for(connection.settings_dict["NAME"], os.environ["DATABASE_URL"]),
        redis_url=REDIS_URL,
        prefix=broker_prefix(xdist_worker),
        var_dir=base / "var",
        mail_dir=base / "mail",
        node=f"portal-test-{xdist_worker}",
    )
    worker.start()
    yield worker
    worker.stop()
    worker.forget()


@pytest.fixture
def live(celery_worker, settings):
    """The worker is running and idle, its mail box empty; this process publishes to Redis, not eagerly, and
    reads files where the worker writes them."""
    celery_worker.start()
    for path in celery_worker.mail_dir.iterdir():
        path.unlink()
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.MEDIA_ROOT = celery_worker.media_root
    with publishing_to(REDIS_URL, celery_worker.prefix):
        yield celery_worker


def wait_for(what, predicate, worker, timeout=WAIT_SECONDS):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    pytest.fail(f"Timed out after {timeout} s waiting for {what}.\nWorker log:\n{worker.log_tail()}")


def wait_until_idle(worker):
    """Wait until the broker holds nothing for the worker, then a little more so a duplicate would show."""
    wait_for("the queues to drain", lambda: worker.queued() == 0, worker)
    time.sleep(0.5)


def sent_message_ids(worker):
    ids = []
    for path in sorted(worker.mail_dir.iterdir()):
        ids += MESSAGE_ID.findall(path.read_bytes())
    return ids


def submit(procedure, applicant):
    application = complete_draft(procedure, applicant)
    services.apply_transition(application, "submit", actor=applicant)
    return application


def assert_delivered_exactly_once(worker, applications):
    ids = [a.pk for a in applications]
    documents = GeneratedDocument.objects.filter(application__in=ids)
    emails = OutgoingEmail.objects.filter(reference__in=[a.reference for a in applications])
    assert documents.count() == len(ids) and emails.count() == len(ids)
    assert set(documents.values_list("status", flat=True)) == {DocumentStatus.READY}
    assert set(emails.values_list("status", flat=True)) == {EmailStatus.SENT}
    assert set(emails.values_list("attempts", flat=True)) == {1}
    for document in documents:
        path = document.file.path
        assert path.startswith(str(worker.media_root))
        with open(path, "rb") as pdf:
            content = pdf.read()
        assert content.startswith(b"%PDF-") and hashlib.sha256(content).hexdigest() == document.sha256
    pdfs = [p for a in applications for p in (worker.media_root / "generated" / a.reference).glob("*.pdf")]
    assert len(pdfs) == len(ids), "one PDF file per document, no orphan from a second render"
    assert ApplicationEvent.objects.filter(application__in=ids, kind="document_issued").count() == len(ids)
    message_ids = sent_message_ids(worker)
    assert len(message_ids) == len(ids), "one e-mail per submission"
    assert len(set(message_ids)) == len(message_ids), "no Message-ID sent twice"


def test_a_submission_gets_its_pdf_and_its_email_from_the_worker(live, procedure, cert, citizen):
    application = submit(procedure, citizen)

    document = GeneratedDocument.objects.get(application=application)
    email = OutgoingEmail.objects.get(reference=application.reference)
    wait_for("the récépissé and the e-mail", lambda: (
        GeneratedDocument.objects.filter(pk=document.pk, status=DocumentStatus.READY).exists()
        and OutgoingEmail.objects.filter(pk=email.pk, status=EmailStatus.SENT).exists()), live)
    wait_until_idle(live)

    document.refresh_from_db()
    assert document.rendered_at and len(document.sha256) == 64
    assert_delivered_exactly_once(live, [application])
    (mail,) = live.mail_dir.iterdir()
    content = mail.read_bytes()
    assert f"To: {citizen.email}".encode() in content and application.reference.encode() in content


def test_tasks_wait_in_redis_while_the_worker_is_down(live, procedure, cert, citizen):
    live.stop()
    applications = [submit(procedure, citizen) for _ in range(10)]
    time.sleep(0.5)
    assert live.queued() == 20, "one PDF task and one e-mail task per submission, waiting in Redis"
    assert not GeneratedDocument.objects.exclude(status=DocumentStatus.PENDING).exists()
    assert not OutgoingEmail.objects.exclude(status=EmailStatus.PENDING).exists()

    live.start()
    wait_for("10 PDFs and 10 e-mails", lambda: (
        GeneratedDocument.objects.filter(status=DocumentStatus.READY).count() == 10
        and OutgoingEmail.objects.filter(status=EmailStatus.SENT).count() == 10), live)
    wait_until_idle(live)
    assert_delivered_exactly_once(live, applications)


def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_broker_outage_at_submission_loses_nothing_and_requeue_delivers_once(live, procedure, cert, citizen):
    applications = []
    with publishing_to(f"redis://127.0.0.1:{closed_port()}/0", live.prefix):
        for _ in range(3):
            application = complete_draft(procedure, citizen)
            # The publish error is logged, not raised: the submission is committed, its outbox rows stay pending.
            services.apply_transition(application, "submit", actor=citizen)
            applications.append(application)
    assert set(Application.objects.filter(pk__in=[a.pk for a in applications])
               .values_list("status", flat=True)) == {Status.SUBMITTED}
    assert GeneratedDocument.objects.filter(status=DocumentStatus.PENDING).count() == 3
    assert OutgoingEmail.objects.filter(status=EmailStatus.PENDING).count() == 3
    assert live.queued() == 0

    # The periodic sweep, twice in a row as a slow beat could: both find the rows pending and re-queue them;
    # the tasks' own checks make the second copy of each a no-op.
    for _ in range(2):
        requeue_pending.delay(older_than_seconds=0)
        notification_tasks.requeue_pending.delay(older_than_seconds=0)
    wait_for("the re-queued PDFs and e-mails", lambda: (
        GeneratedDocument.objects.filter(status=DocumentStatus.READY).count() == 3
        and OutgoingEmail.objects.filter(status=EmailStatus.SENT).count() == 3), live)
    wait_until_idle(live)
    assert_delivered_exactly_once(live, applications)


def test_a_broker_outage_does_not_fail_the_committed_submission(live, procedure, cert, citizen):
    application = complete_draft(procedure, citizen)
    with publishing_to(f"redis://127.0.0.1:{closed_port()}/0", live.prefix):
        services.apply_transition(application, "submit", actor=citizen)
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED
