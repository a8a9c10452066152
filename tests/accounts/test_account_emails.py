"""Account e-mails take the outbox like every other (issue 12, part 4): with the broker down, a password reset or
a sign-up still answers, and its e-mail waits as a pending row until `requeue_pending` sends it."""

import datetime
import re
import socket

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from accounts.models import User
from notifications import tasks
from notifications.enums import EmailStatus
from notifications.models import OutgoingEmail
from notifications.outbox import message_id
from tests.factories import UserFactory
from tests.worker_support import publishing_to

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 10, 9, 0, tzinfo=datetime.UTC)
SIGNUP = {
    "given_names": "Léa",
    "family_name": "Durand",
    "birth_date": "1999-02-03",
    "password1": "une phrase de passe longue",
    "password2": "une phrase de passe longue",
}


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def broker_down():
    """Make Celery publish for real (not eagerly) to a broker nobody listens to: every publish raises kombu's
    OperationalError, as when Redis is down."""
    return publishing_to(f"redis://127.0.0.1:{closed_port()}/0", "portal-test-down:")


def link_in(message, path):
    return re.search(rf"http://\S+({re.escape(path)}\S+/)", message.body).group(1)


def requeue_later(clock):
    """The periodic sweep, a few minutes later, the broker back (Celery eager again in the tests)."""
    clock.shift(datetime.timedelta(minutes=5))
    return tasks.requeue_pending()


def test_password_reset_answers_with_the_broker_down_and_its_email_waits_in_the_outbox(client, clock):
    user = UserFactory()
    with broker_down():
        response = client.post(reverse("accounts:password_reset"), {"email": user.email}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain == [(reverse("accounts:password_reset_done"), 302)]
    email = OutgoingEmail.objects.get(to=user.email)
    assert email.status == EmailStatus.PENDING and mail.outbox == []


def test_a_password_reset_left_pending_is_sent_later_and_its_link_works(client, clock):
    user = UserFactory()
    with broker_down():
        client.post(reverse("accounts:password_reset"), {"email": user.email})
    assert mail.outbox == []

    assert requeue_later(clock) == {"emails": 1}
    (message,) = mail.outbox
    email = OutgoingEmail.objects.get(to=user.email, status=EmailStatus.SENT)
    assert message.extra_headers["Message-ID"] == message_id(email) and message.alternatives
    response = client.get(link_in(message, "/compte/mot-de-passe/nouveau/"), follow=True)
    response = client.post(response.redirect_chain[-1][0],
                           {"new_password1": "nouvelle phrase secrète", "new_password2": "nouvelle phrase secrète"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("nouvelle phrase secrète")


def test_signup_with_the_broker_down_keeps_the_verification_email_for_later(
    client, clock, django_capture_on_commit_callbacks
):
    with broker_down():
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("accounts:signup"), {**SIGNUP, "email": "lea@exemple.test"})
    assert response.status_code == 200
    user = User.objects.get(email="lea@exemple.test")
    assert OutgoingEmail.objects.get(to=user.email).status == EmailStatus.PENDING and mail.outbox == []

    assert requeue_later(clock) == {"emails": 1}
    (message,) = mail.outbox
    client.get(link_in(message, "/compte/verifier/"))
    user.refresh_from_db()
    assert user.email_verified_at is not None


def test_a_signup_attempt_on_a_taken_address_mails_its_holder_through_the_outbox(
    client, clock, django_capture_on_commit_callbacks
):
    holder = UserFactory()
    with broker_down():
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("accounts:signup"), {**SIGNUP, "email": holder.email})
    assert response.status_code == 200
    assert OutgoingEmail.objects.get(to=holder.email).status == EmailStatus.PENDING

    requeue_later(clock)
    (message,) = mail.outbox
    assert message.to == [holder.email] and "Une inscription a été tentée" in message.subject
