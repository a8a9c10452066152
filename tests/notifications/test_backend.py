"""The e-mail backend of the portal is the outbox (issue 12, part 4): Django's own e-mails become rows sent by the
worker after commit, through the delivery backend; the worker counts a failure on the row."""

import smtplib
from unittest import mock

import pytest
from django.core import mail
from django.core.checks import run_checks
from django.core.mail import EmailMessage, EmailMultiAlternatives, send_mail
from django.db import transaction

from notifications import tasks
from notifications.enums import EmailStatus
from notifications.models import OutgoingEmail
from notifications.outbox import message_id

pytestmark = pytest.mark.django_db


def test_django_send_mail_writes_a_row_and_the_worker_sends_it_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            assert send_mail("Sujet", "Texte", None, ["a@exemple.test"], html_message="<p>Texte</p>") == 1
            email = OutgoingEmail.objects.get()
            assert email.status == EmailStatus.PENDING and mail.outbox == []  # nothing leaves before the commit
    assert len(callbacks) == 1
    email.refresh_from_db()
    (message,) = mail.outbox
    assert email.status == EmailStatus.SENT and email.attempts == 1 and email.key.startswith("mail:")
    assert (message.subject, message.body, message.to) == ("Sujet", "Texte", ["a@exemple.test"])
    assert message.alternatives == [("<p>Texte</p>", "text/html")]
    assert message.extra_headers["Message-ID"] == message_id(email)


class Boom(Exception):
    pass


def test_nothing_is_written_or_sent_when_the_transaction_rolls_back(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(Boom):
        with transaction.atomic():
            send_mail("Sujet", "Texte", None, ["a@exemple.test"])
            raise Boom
    assert callbacks == [] and mail.outbox == [] and not OutgoingEmail.objects.exists()


def test_a_message_key_is_idempotent_and_each_recipient_gets_a_row(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            message = EmailMultiAlternatives("Sujet", "Texte", "Agent <agent@exemple.test>",
                                             ["a@exemple.test"], bcc=["b@exemple.test"])
            message.outbox_key, message.outbox_reference = "event:7", "ABC123"
            message.send()
    assert sorted(OutgoingEmail.objects.values_list("key", "to", "reference", "from_email")) == [
        ("event:7:0", "a@exemple.test", "ABC123", "Agent <agent@exemple.test>"),
        ("event:7:1", "b@exemple.test", "ABC123", "Agent <agent@exemple.test>"),
    ]
    assert sorted(m.to[0] for m in mail.outbox) == ["a@exemple.test", "b@exemple.test"]  # once each, not twice
    assert {m.from_email for m in mail.outbox} == {"Agent <agent@exemple.test>"}


def test_a_message_with_an_attachment_is_refused_rather_than_sent_without_it():
    message = EmailMessage("Sujet", "Texte", None, ["a@exemple.test"])
    message.attach("note.txt", "contenu", "text/plain")
    with pytest.raises(ValueError):
        message.send()
    assert not OutgoingEmail.objects.exists()


def test_a_failed_delivery_is_counted_on_the_row_until_it_is_given_up():
    email = OutgoingEmail.objects.create(key="event:1", to="a@exemple.test", subject="Sujet", body_text="Texte")
    refused = smtplib.SMTPServerDisconnected("Connexion perdue")
    with mock.patch("django.core.mail.backends.locmem.EmailBackend.send_messages", side_effect=refused):
        for attempt in range(1, tasks.MAX_EMAIL_ATTEMPTS + 1):
            with pytest.raises(smtplib.SMTPServerDisconnected):
                tasks.send_email.run(email.pk)
            email.refresh_from_db()
            assert email.attempts == attempt and email.last_error == "Connexion perdue"
    assert email.status == EmailStatus.FAILED
    assert tasks.requeue_pending(older_than_seconds=0) == {"emails": 0}  # given up: no longer swept
    assert tasks.send_email.run(email.pk) == "skipped" and mail.outbox == []


def test_the_outbox_cannot_be_its_own_delivery_backend(settings):
    settings.NOTIFICATIONS_DELIVERY_BACKEND = "notifications.backends.OutboxEmailBackend"
    assert "notifications.E001" in [message.id for message in run_checks()]
