"""The idle timeout of sessions (written at most once a minute) and the cached professional links."""

import datetime

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.urls import reverse

from core.navigation import staff_links
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def _expiry(client):
    return Session.objects.get(session_key=client.cookies["sessionid"].value).expire_date


@pytest.fixture
def signed_in(client, citizen, settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    settings.SESSION_COOKIE_AGE = 30 * 60
    with time_machine.travel(START, tick=False) as traveller:
        client.force_login(citizen)
        yield client, traveller


def test_a_used_session_stays_alive_and_an_idle_one_expires(signed_in):
    client, traveller = signed_in
    dashboard = reverse("titles:dashboard")
    # Used every 25 minutes for two hours: never signed out.
    for _ in range(5):
        traveller.shift(datetime.timedelta(minutes=25))
        assert client.get(dashboard).status_code == 200
    # Then left alone for 31 minutes: signed out.
    traveller.shift(datetime.timedelta(minutes=31))
    response = client.get(dashboard)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


def test_the_session_is_written_at_most_once_a_minute(signed_in):
    client, traveller = signed_in
    dashboard = reverse("titles:dashboard")
    client.get(dashboard)
    first = _expiry(client)
    traveller.shift(datetime.timedelta(seconds=20))
    response = client.get(dashboard)
    assert _expiry(client) == first  # not written again 20 seconds later
    assert "sessionid" not in response.cookies  # nor the cookie re-sent
    traveller.shift(datetime.timedelta(seconds=45))
    response = client.get(dashboard)
    assert _expiry(client) == first + datetime.timedelta(seconds=65)
    assert response.cookies["sessionid"]["max-age"] == 30 * 60


def test_an_anonymous_visit_or_an_expired_cookie_creates_no_session(client, db):
    client.get(reverse("home"))
    assert Session.objects.count() == 0
    client.cookies["sessionid"] = "expiredorforgedsessionkey0000000"
    client.get(reverse("home"))
    assert Session.objects.count() == 0


def test_staff_links_are_cached_and_forgotten_when_a_membership_changes(db, django_assert_num_queries):
    user = UserFactory()
    assert staff_links(user) == []
    with django_assert_num_queries(0):
        assert staff_links(user) == []
    cert = OrganisationFactory(kind="cert")
    membership = MembershipFactory(user=user, organisation=cert, role="agent")
    assert staff_links(user) == [("Instruction", "/instruction/")]
    with django_assert_num_queries(0):
        staff_links(user)
    cert.is_active = False
    cert.save()
    assert staff_links(user) == []
    cert.is_active = True
    cert.save()
    assert staff_links(user) == [("Instruction", "/instruction/")]
    membership.delete()
    assert staff_links(user) == []


def test_a_mairie_agent_has_the_desk_link_until_the_mairie_closes(db):
    """A mairie agent is a membership like any other staff; a mairie saved through identity's proxy model forgets
    its agents' links too."""
    from identity.models import Mairie
    from identity.services import add_mairie_agent, save_mairie

    user = UserFactory()
    mairie = save_mairie(name="Mairie de Toulon", postal_code="83000", city="Toulon", departement="83",
                         is_equipped=True)
    add_mairie_agent(user, mairie)
    assert staff_links(user) == [("Dispositif de recueil", "/identite/mairie/")]
    mairie = Mairie.objects.get(pk=mairie.pk)
    mairie.is_active = False
    mairie.save()
    assert staff_links(user) == []
