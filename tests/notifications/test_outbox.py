"""What the e-mail outbox guarantees (issue 11, 2.10; docs/engine.md "E-mails"): at least once, and a copy sent
again after a crash carries the same Message-ID, so mail servers and clients fold the two."""

import re
from unittest import mock

import pytest
from django.core import mail

from notifications.enums import EmailStatus
from notifications.models import OutgoingEmail
from notifications.outbox import message_id
from notifications.tasks import send_email

pytestmark = pytest.mark.django_db

# RFC 5322 msg-id with a dot-atom-text on both sides (no port, no colon).
ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
MSG_ID = re.compile(rf"^<{ATEXT}(?:\.{ATEXT})*@{ATEXT}(?:\.{ATEXT})*>$")


class WorkerKilled(BaseException):
    """The worker dies: not an error the task could catch or retry."""


def outbox_row(key="event:42"):
    return OutgoingEmail.objects.create(key=key, to="usager@exemple.test", subject="Votre demande", body_text="Texte",
                                        body_html="<p>Texte</p>")


def test_a_crash_between_delivery_and_commit_sends_again_under_the_same_message_id(settings):
    settings.SITE_URL = "https://demarches.example:8443"
    email = outbox_row()
    real_save = OutgoingEmail.save

    def killed_while_marking_sent(row, *args, **kwargs):
        if row.status == EmailStatus.SENT:
            raise WorkerKilled
        return real_save(row, *args, **kwargs)

    with mock.patch.object(OutgoingEmail, "save", killed_while_marking_sent), pytest.raises(WorkerKilled):
        send_email(email.pk)
    email.refresh_from_db()
    assert len(mail.outbox) == 1 and email.status == EmailStatus.PENDING  # delivered, but the mark was rolled back

    assert send_email(email.pk) == "sent"  # what requeue_pending does with a row still pending
    assert send_email(email.pk) == "skipped"  # once marked sent, never again
    first, second = (message.extra_headers["Message-ID"] for message in mail.outbox)
    assert len(mail.outbox) == 2 and first == second == message_id(email)
    assert MSG_ID.match(first) and first.endswith("@demarches.example>")
    assert "Message-ID: " + first in mail.outbox[1].message().as_string()


def test_message_ids_are_valid_and_distinct_per_row(settings):
    settings.SITE_URL = "http://127.0.0.1:8000"
    keys = ["event:1", "event-1", "appointment:7:3:2026-03-01T10:00:00+01:00", "x" * 120, "é à"]
    ids = [message_id(outbox_row(key)) for key in keys]
    assert all(MSG_ID.match(value) for value in ids), ids
    assert len(set(ids)) == len(ids)
