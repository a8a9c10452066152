"""A mandate request for an address without an account (issue 15): the professional gets the same answer either way
(API and pro page), so that it cannot learn whether the address has an account; the person gets an invitation, and
the request attaches to the account created with that address once verified, to be confirmed from Mon espace."""

import datetime
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import signals
from accounts.models import User
from journal.enums import Action
from journal.models import Entry
from notifications.models import OutgoingEmail
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from titles.models import Mandate

pytestmark = pytest.mark.django_db

MANDATES = "/api/v1/mandates/"


def verified(user):
    """Say `user`'s address is verified, as the sign-up link and FranceConnect's account creation do (their own
    tests: the sign-up journey below, tests/accounts/test_franceconnect.py)."""
    signals.address_verified.send(sender=User, user=user)
PAGE = reverse("vehicles:request_mandate")
NOW = datetime.datetime(2026, 3, 10, 9, 30, tzinfo=datetime.UTC)
SITE = "https://portail.exemple.gouv.fr"


def body(email):
    return {"email": email, "given_names": "Camille", "family_name": "ROUX",
            "procedures": ["changement-titulaire", "cession"], "months": 6}


def link_in(text, path_start):
    return re.search(re.escape(SITE) + re.escape(path_start) + r"[^\s\"<]*", text).group(0)


def without_id(answer):
    return {name: value for name, value in answer.items() if name != "id"}


@pytest.fixture(autouse=True)
def site(settings):
    settings.SITE_URL = SITE


def test_the_api_answers_the_same_whether_or_not_the_address_has_an_account(garage):
    UserFactory(email="connu@exemple.fr")
    answers, queries = {}, {}
    with time_machine.travel(NOW, tick=False):
        garage.client.get(MANDATES)  # the key's `last_used_at` is written once a while: not in what is compared
    for email in ("connu@exemple.fr", "inconnu@exemple.fr"):
        with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as captured:
            answers[email] = garage.client.post(MANDATES, body(email), format="json")
        queries[email] = len(captured)
    known, unknown = answers["connu@exemple.fr"], answers["inconnu@exemple.fr"]
    assert known.status_code == unknown.status_code == 201, (known.content, unknown.content)
    assert known["Content-Type"] == unknown["Content-Type"]
    assert sorted(known.headers) == sorted(unknown.headers)
    # The same body but for the new mandate's id; nothing there names a person but the name the garage typed.
    assert without_id(known.json()) == without_id(unknown.json())
    assert known.json()["citizen"] == "Camille ROUX" and known.json()["confirmed_at"] is None
    # The same work on either path (a proxy for timing that does not depend on the machine's speed).
    assert queries["connu@exemple.fr"] == queries["inconnu@exemple.fr"]
    # Both requests are recorded as pending and listed alike.
    listed = garage.client.get(MANDATES).json()
    assert [without_id(item) for item in listed] == [without_id(known.json())] * 2
    assert OutgoingEmail.objects.filter(to="connu@exemple.fr").count() == 1
    assert OutgoingEmail.objects.filter(to="inconnu@exemple.fr").count() == 1


def test_the_pro_page_answers_the_same_whether_or_not_the_address_has_an_account(verified_client):
    garage = OrganisationFactory(pro_auto=True, name="Garage du Cours")
    pro = verified_client(MembershipFactory(organisation=garage).user)
    UserFactory(email="connu@exemple.fr")
    answers = {}
    for email in ("connu@exemple.fr", "inconnu@exemple.fr"):
        response = pro.post(PAGE, {**body(email), "organisation": garage.pk}, follow=True)
        page = response.content.decode().replace(email, "<adresse>")
        answers[email] = (response.redirect_chain, response.status_code, re.sub(r'value="[^"]*"', "", page))
    assert answers["connu@exemple.fr"] == answers["inconnu@exemple.fr"]
    assert answers["connu@exemple.fr"][0] == [(reverse("vehicles:pro"), 302)]
    assert Mandate.objects.filter(organisation=garage, confirmed_at__isnull=True).count() == 2


def test_an_unknown_address_gets_an_invitation_in_the_outbox(garage):
    with time_machine.travel(NOW, tick=False):
        created = garage.client.post(MANDATES, body(" Nouveau.Client@Exemple.fr"), format="json")
    assert created.status_code == 201, created.content
    mandate = Mandate.objects.get(pk=created.json()["id"])
    assert mandate.citizen is None and mandate.invited_email == "nouveau.client@exemple.fr"
    assert mandate.valid_until == datetime.datetime(2026, 9, 10, 9, 30, tzinfo=datetime.UTC)  # the request's term
    entry = Entry.objects.get(action=Action.MANDATE_CREATED)
    assert (entry.actor, entry.organisation, entry.payload["invitation"]) == (garage.manager, garage.organisation,
                                                                             True)
    (email,) = OutgoingEmail.objects.filter(to="nouveau.client@exemple.fr")
    assert garage.organisation.name in email.subject
    assert "créez d'abord votre compte" in email.body_text and "FranceConnect" in email.body_text
    assert "10 septembre 2026" in email.body_text  # the invitation expires with the request
    assert link_in(email.body_text, reverse("accounts:signup")) == SITE + reverse("accounts:signup")
    confirm = SITE + reverse("titles:confirm_mandate", kwargs={"token": mandate.token})
    assert link_in(email.body_text, "/") and confirm in email.body_text and confirm in email.body_html


def test_the_request_attaches_to_the_account_created_with_the_address_then_is_confirmed(
        garage, cert, client, django_capture_on_commit_callbacks):
    from django.core import mail

    created = garage.client.post(MANDATES, body("camille.roux@exemple.fr"), format="json").json()
    signup = {"email": "Camille.Roux@exemple.fr", "given_names": "Camille", "family_name": "Roux",
              "birth_date": "1990-04-02", "password1": "une phrase de passe longue",
              "password2": "une phrase de passe longue"}
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("accounts:signup"), signup).status_code == 200
    user = User.objects.get(email__iexact="camille.roux@exemple.fr")
    mandate = Mandate.objects.get(pk=created["id"])
    assert mandate.citizen is None  # not before the address is verified
    (verification,) = mail.outbox
    link = re.search(r"https?://[^\s]+", verification.body).group(0).replace(SITE, "")
    client.get(link)
    mandate.refresh_from_db()
    assert mandate.citizen == user and mandate.confirmed_at is None
    entry = Entry.objects.get(action=Action.MANDATE_ATTACHED)
    assert (entry.actor, entry.acting_for, entry.organisation) == (user, user, garage.organisation)
    assert (entry.payload["requested_by"], entry.payload["client"]) == (garage.manager.pk, user.pk)
    assert garage.manager.get_full_name() == entry.payload["requested_by_name"]

    # On Mon espace, to confirm or refuse; confirmed, the garage may file under it.
    client.force_login(user)
    dashboard = client.get(reverse("titles:dashboard")).content.decode()
    assert "Mandats à confirmer" in dashboard and garage.organisation.name in dashboard
    confirm = reverse("titles:confirm_mandate", kwargs={"token": mandate.token})
    assert confirm in dashboard
    assert client.post(confirm).status_code == 302
    mandate.refresh_from_db()
    assert mandate.is_valid
    assert Entry.objects.filter(action=Action.MANDATE_CONFIRMED, actor=user).exists()
    listed = garage.client.get(MANDATES).json()
    assert listed[0]["confirmed_at"] is not None and listed[0]["citizen"] == user.get_full_name()
    draft = garage.client.post("/api/v1/files/", {"procedure": "cession", "mandate": mandate.pk}, format="json")
    assert draft.status_code == 201, draft.content


def test_the_attached_request_may_be_refused(garage, client):
    created = garage.client.post(MANDATES, body("camille.roux@exemple.fr"), format="json").json()
    user = UserFactory(email="camille.roux@exemple.fr")
    verified(user)
    mandate = Mandate.objects.get(pk=created["id"])
    assert mandate.citizen == user
    client.force_login(user)
    assert client.post(reverse("titles:revoke_mandate", kwargs={"pk": mandate.pk})).status_code == 302
    mandate.refresh_from_db()
    assert mandate.revoked_at is not None and not mandate.is_valid
    assert Entry.objects.filter(action=Action.MANDATE_REFUSED, actor=user).exists()


def test_an_expired_or_unverified_invitation_attaches_to_nobody(garage):
    with time_machine.travel(NOW, tick=False):
        expired = garage.client.post(MANDATES, {**body("tard@exemple.fr"), "months": 1}, format="json").json()
        garage.client.post(MANDATES, body("pas-verifiee@exemple.fr"), format="json")
    with time_machine.travel(NOW + datetime.timedelta(days=40), tick=False):
        late = UserFactory(email="tard@exemple.fr")
        verified(late)
        unverified = UserFactory(email="pas-verifiee@exemple.fr", email_verified_at=None)
        verified(unverified)  # sent by mistake: an address not verified takes nothing
    assert Mandate.objects.get(pk=expired["id"]).citizen is None
    assert not Mandate.objects.filter(citizen__in=[late, unverified]).exists()
    assert not Entry.objects.filter(action=Action.MANDATE_ATTACHED).exists()
