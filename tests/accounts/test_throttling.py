"""Limits on what anyone can repeat without an account: password-reset and account e-mails, login spraying from one
IP (slowed down, never locked: a point numérique shares one IP), and sign-up that does not tell whether an address
has an account."""

import datetime
import html

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 10, 9, 0, tzinfo=datetime.UTC)
WAIT = "merci de patienter"
WRONG = "Adresse électronique ou mot de passe incorrect"


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def text(response):
    return html.unescape(response.content.decode())


# --- Password reset -------------------------------------------------------------------------------------------------


def test_fifteen_reset_requests_send_three_emails_and_answer_the_same(client, clock, settings):
    user = UserFactory()
    responses = [client.post(reverse("accounts:password_reset"), {"email": user.email}) for _ in range(15)]

    assert len(mail.outbox) == settings.ACCOUNT_EMAILS_PER_ADDRESS == 3
    assert {(response.status_code, response.url) for response in responses} == {
        (302, reverse("accounts:password_reset_done"))
    }
    # An unknown address gets the very same answer.
    response = client.post(reverse("accounts:password_reset"), {"email": "inconnu@exemple.test"})
    assert (response.status_code, response.url) == (302, reverse("accounts:password_reset_done"))

    clock.shift(datetime.timedelta(hours=1, seconds=1))  # the next hour, the person can ask again
    client.post(reverse("accounts:password_reset"), {"email": user.email})
    assert len(mail.outbox) == 4


def test_reset_requests_over_many_addresses_from_one_ip_are_limited(client, clock, settings):
    settings.ACCOUNT_EMAILS_PER_IP = 5
    users = UserFactory.create_batch(8)
    for user in users:
        response = client.post(reverse("accounts:password_reset"), {"email": user.email})
        assert response.status_code == 302
    assert len(mail.outbox) == 5
    # Someone elsewhere is not affected.
    client.post(reverse("accounts:password_reset"), {"email": users[-1].email}, REMOTE_ADDR="192.0.2.50")
    assert len(mail.outbox) == 6 and mail.outbox[-1].to == [users[-1].email]


def test_confirmation_link_again_is_limited_per_address(client, clock, django_capture_on_commit_callbacks):
    user = UserFactory(email_verified_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(6):
            response = client.post(reverse("accounts:resend_verification"), {"email": user.email})
            assert response.status_code == 200
    assert len(mail.outbox) == 3


# --- Login spraying --------------------------------------------------------------------------------------------------


def login(client, email, password, **extra):
    return client.post(reverse("accounts:login"), {"username": email, "password": password}, **extra)


def test_spraying_forty_accounts_from_one_ip_is_slowed_not_locked(client, clock, settings):
    victims = UserFactory.create_batch(40)
    responses = [login(client, victim.email, "Printemps2026!") for victim in victims]

    threshold = settings.LOGIN_SPRAY_ACCOUNTS
    assert [response.status_code for response in responses[:threshold]] == [422] * threshold
    assert all(WRONG in text(response) for response in responses[:threshold])
    # From then on, no password is even checked until the IP has waited.
    assert [response.status_code for response in responses[threshold:]] == [429] * (40 - threshold)
    assert WAIT in text(responses[-1]) and "1 seconde " in text(responses[-1])
    # Only the tried accounts got one failure each: nobody was locked out by the spraying.
    for victim in victims[-3:]:
        assert login(Client(), victim.email, PASSWORD, REMOTE_ADDR="192.0.2.50").status_code == 302

    # The wait grows with each new account tried.
    clock.shift(datetime.timedelta(seconds=2))
    assert login(client, victims[threshold].email, "Été2026!").status_code == 422
    response = login(client, victims[threshold + 1].email, "Été2026!")
    assert response.status_code == 429 and "2 secondes" in text(response)

    # Someone at the same point numérique who waits those seconds signs in.
    legit = UserFactory()
    clock.shift(datetime.timedelta(seconds=3))
    response = login(client, legit.email, PASSWORD)
    assert response.status_code == 302
    client.logout()

    # After the window, a single wrong password is just a wrong password, and the right one works.
    clock.shift(datetime.timedelta(seconds=settings.LOGIN_SPRAY_WINDOW))
    other = UserFactory()
    response = login(client, other.email, "mauvais")
    assert response.status_code == 422 and WRONG in text(response) and WAIT not in text(response)
    assert login(client, other.email, PASSWORD).status_code == 302


def test_people_of_a_point_numerique_mistyping_their_own_password_are_not_slowed(client, clock, settings):
    people = UserFactory.create_batch(settings.LOGIN_SPRAY_ACCOUNTS - 1)
    for person in people:
        for _ in range(3):  # one account tried again is not spraying (django-axes watches that)
            response = login(client, person.email, "faute de frappe")
            assert response.status_code == 422 and WRONG in text(response)
        assert login(client, person.email, PASSWORD).status_code == 302
        client.logout()


def test_another_ip_is_not_slowed_by_a_spraying_one(client, clock, settings):
    for victim in UserFactory.create_batch(settings.LOGIN_SPRAY_ACCOUNTS + 1):
        login(client, victim.email, "Printemps2026!")
    assert login(client, UserFactory().email, PASSWORD).status_code == 429
    assert login(Client(), UserFactory().email, PASSWORD, REMOTE_ADDR="192.0.2.50").status_code == 302


# --- Sign-up -------------------------------------------------------------------------------------------------------


def signup_data(email):
    return {
        "email": email,
        "given_names": "Léa",
        "family_name": "Durand",
        "birth_date": "1999-02-03",
        "password1": "une phrase de passe longue",
        "password2": "une phrase de passe longue",
    }


def test_signup_with_an_existing_address_answers_the_same_and_mails_the_holder(
    client, clock, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        new = client.post(reverse("accounts:signup"), signup_data("nouvelle@exemple.test"))
    mail.outbox.clear()
    holder = UserFactory(email="deja.inscrite@exemple.test")
    users = User.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        existing = client.post(reverse("accounts:signup"), signup_data("Deja.Inscrite@Exemple.test"))

    assert existing.status_code == new.status_code == 200
    assert text(existing).replace("deja.inscrite", "nouvelle") == text(new)
    assert "existe déjà" not in text(existing)
    assert User.objects.count() == users
    holder.refresh_from_db()
    assert holder.check_password(PASSWORD) and holder.given_names != "Léa"

    (message,) = mail.outbox
    assert message.to == [holder.email]
    assert "Une inscription a été tentée" in message.subject
    assert "aucun nouveau compte n'a été créé" in message.body
    assert "/compte/connexion/" in message.body and "/compte/mot-de-passe/oublie/" in message.body
    assert message.alternatives


def test_signup_with_an_unconfirmed_address_mails_the_confirmation_link(
    client, clock, django_capture_on_commit_callbacks
):
    holder = UserFactory(email="pas.confirmee@exemple.test", email_verified_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:signup"), signup_data(holder.email))
    (message,) = mail.outbox
    link = next(word for word in message.body.split() if "/compte/verifier/" in word)
    client.get(link.replace("http://127.0.0.1:8000", ""))
    holder.refresh_from_db()
    assert holder.email_verified_at is not None


def test_signup_attempts_on_an_existing_address_do_not_flood_its_holder(
    client, clock, django_capture_on_commit_callbacks
):
    holder = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(10):
            assert client.post(reverse("accounts:signup"), signup_data(holder.email)).status_code == 200
    assert len(mail.outbox) == 3
