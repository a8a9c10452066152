import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def link_in(message):
    return re.search(r"http://[^\s]+", message.body).group(0).replace("http://127.0.0.1:8000", "")


def test_signup_sends_verification_through_the_task_then_login(client, django_capture_on_commit_callbacks):
    data = {
        "email": "Nouvelle.Personne@Exemple.test",
        "given_names": "Léa Marie",
        "family_name": "Durand",
        "birth_date": "1999-02-03",
        "password1": "une phrase de passe longue",
        "password2": "une phrase de passe longue",
    }
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("accounts:signup"), data)
    assert response.status_code == 200 and len(callbacks) == 1
    user = User.objects.get(email="nouvelle.personne@exemple.test")
    assert user.email_verified_at is None
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [user.email]
    assert mail.outbox[0].alternatives  # HTML part as well as text

    # Not verified yet: login refused with an explanation.
    response = client.post(reverse("accounts:login"), {"username": user.email, "password": data["password1"]})
    assert "confirmer votre adresse" in response.content.decode()

    response = client.get(link_in(mail.outbox[0]), follow=True)
    assert "Votre adresse électronique est confirmée" in response.content.decode()
    response = client.post(reverse("accounts:login"), {"username": user.email, "password": data["password1"]})
    assert response.status_code == 302 and response.url == reverse("titles:dashboard")


def test_signup_errors_are_french_and_keep_what_was_typed(client):
    response = client.post(
        reverse("accounts:signup"),
        {
            "email": "a@exemple.test",
            "given_names": "Jean",
            "family_name": "Valjean",
            "birth_date": "",
            "password1": "court",
            "password2": "autre",
        },
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert "Les deux mots de passe ne sont pas identiques" in html
    assert 'value="Valjean"' in html


def test_verification_link_tampered_is_refused(client):
    user = UserFactory(email_verified_at=None)
    response = client.get(reverse("accounts:verify_email", kwargs={"uidb64": "MQ", "token": "abc-def"}))
    assert response.status_code == 400
    user.refresh_from_db()
    assert user.email_verified_at is None


def test_wrong_passwords_lock_the_account_not_the_ip(client, settings):
    user = UserFactory()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("accounts:login"), {"username": user.email, "password": "mauvais"})
    response = client.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "Compte temporairement bloqué" in response.content.decode()
    # Another person at the same point numérique (same IP) still signs in.
    other = UserFactory()
    response = client.post(reverse("accounts:login"), {"username": other.email, "password": PASSWORD})
    assert response.status_code == 302


def test_password_reset_end_to_end(client, django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:password_reset"), {"email": user.email})
    assert len(mail.outbox) == 1
    response = client.get(link_in(mail.outbox[0]), follow=True)
    form_url = response.redirect_chain[-1][0]
    response = client.post(
        form_url, {"new_password1": "nouvelle phrase secrète", "new_password2": "nouvelle phrase secrète"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("nouvelle phrase secrète")


def test_password_reset_does_not_reveal_unknown_addresses(client):
    response = client.post(reverse("accounts:password_reset"), {"email": "inconnu@exemple.test"})
    assert response.status_code == 302
    assert len(mail.outbox) == 0


def test_logout_is_post_only_and_lands_on_a_french_page(client):
    client.force_login(UserFactory())
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"), follow=True)
    assert "Vous êtes déconnecté" in response.content.decode()


def test_account_contact_editable_identity_declared_editable(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("accounts:account"),
        {
            "section": "contact",
            "phone": "0600000000",
            "address_line": "2 rue Neuve",
            "postal_code": "8300",
            "city": "Toulon",
        },
    )
    assert "Le code postal doit comporter 5 chiffres" in response.content.decode()
    client.post(
        reverse("accounts:account"),
        {
            "section": "contact",
            "phone": "0600000000",
            "address_line": "2 rue Neuve",
            "postal_code": "83200",
            "city": "Toulon",
        },
    )
    user.refresh_from_db()
    assert user.postal_code == "83200" and user.departement == "83"
