"""The kiosk mode of a shared computer (issue 14): a signed « appareil partagé » cookie, a short session with a
visible countdown, no autocomplete, nothing cached, and « Terminer et tout effacer » with Clear-Site-Data."""

import datetime
from html.parser import HTMLParser

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from portal.kiosk import COOKIE, without_autocomplete

pytestmark = pytest.mark.django_db


class _Fields(HTMLParser):
    def __init__(self):
        super().__init__()
        self.fields, self.scripts = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("input", "textarea", "select", "form"):
            self.fields.append((tag, attrs))
        if tag == "script":
            self.scripts.append(attrs)


def parse(response):
    parser = _Fields()
    parser.feed(response.content.decode())
    return parser


def mark_device(client):
    response = client.post(reverse("kiosk"))
    assert response.status_code == 302 and response.url == reverse("accounts:login")
    assert response.cookies[COOKIE]["httponly"] and response.cookies[COOKIE].value != "1"  # signed, not bare


def test_the_login_page_leads_to_marking_the_device(client):
    login = client.get(reverse("accounts:login")).content.decode()
    assert f'href="{reverse("kiosk")}"' in login
    assert "Marquer cet ordinateur comme partagé" in client.get(reverse("kiosk")).content.decode()
    mark_device(client)
    assert "Appareil partagé" in client.get(reverse("accounts:login")).content.decode()
    assert "Cet ordinateur est marqué comme partagé" in client.get(reverse("kiosk")).content.decode()


def test_a_forged_cookie_is_no_mark(client):
    client.cookies[COOKIE] = "1"
    assert "portal-kiosk" not in client.get(reverse("accounts:login")).content.decode()


def test_no_field_offers_autocomplete_on_a_shared_device(client):
    ordinary = parse(client.get(reverse("accounts:signup")))
    assert ordinary.fields and not all(attrs.get("autocomplete") == "off" for _, attrs in ordinary.fields)
    mark_device(client)
    fields = parse(client.get(reverse("accounts:signup"))).fields
    assert fields and all(attrs.get("autocomplete") == "off" for _, attrs in fields), fields


def test_without_autocomplete_replaces_an_existing_value():
    html = '<input type="email" name="email" autocomplete="email" required><textarea name="b"></textarea><br/>'
    assert without_autocomplete(html) == ('<input type="email" name="email" required autocomplete="off">'
                                         '<textarea name="b" autocomplete="off"></textarea><br/>')


def test_a_signed_in_session_on_a_shared_device_is_short_with_a_countdown(client, citizen):
    mark_device(client)
    now = datetime.datetime(2026, 11, 16, 10, tzinfo=timezone.get_default_timezone())
    with time_machine.travel(now, tick=False):
        client.force_login(citizen)
        response = client.get(reverse("titles:dashboard"))
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
        page = response.content.decode()
        assert 'data-kiosk-countdown data-seconds="300"' in page and "Terminer et tout effacer" in page
        scripts = [attrs.get("src", "") for attrs in parse(response).scripts]
        assert any(src.endswith("portal/kiosk.js") for src in scripts)
        assert all(attrs.get("src") or attrs.get("nonce") for attrs in parse(response).scripts)  # CSP: no inline
    with time_machine.travel(now + datetime.timedelta(minutes=4), tick=False):
        assert client.get(reverse("titles:dashboard")).status_code == 200  # a page: the time starts again
    with time_machine.travel(now + datetime.timedelta(minutes=9, seconds=1), tick=False):
        response = client.get(reverse("titles:dashboard"))
        assert response.status_code == 302 and reverse("accounts:login") in response.url


def test_an_ordinary_device_keeps_the_ordinary_session(client, citizen):
    client.force_login(citizen)
    page = client.get(reverse("titles:dashboard")).content.decode()
    assert "data-kiosk-countdown" not in page and "portal/kiosk.js" not in page
    assert client.session.get_expiry_age() > 300


def test_end_and_clear_signs_out_clears_the_site_and_says_where_the_documents_are(client, citizen):
    mark_device(client)
    client.force_login(citizen)
    response = client.post(reverse("kiosk_end"))
    assert response.status_code == 302 and response.url == reverse("kiosk_ended")
    assert response["Clear-Site-Data"] == '"cache", "storage"'
    assert response.cookies["sessionid"]["max-age"] == 0
    assert COOKIE not in response.cookies  # the device stays marked for the next person
    response = client.get(response.url)
    assert response.status_code == 200
    assert response["Clear-Site-Data"] == '"cache", "storage"'
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert "Mon espace" in page and "courriel" in page and citizen.email not in page
    assert COOKIE not in response.cookies
    follow = client.get(reverse("titles:dashboard"))
    assert follow.status_code == 302 and reverse("accounts:login") in follow.url


def test_the_mediateur_console_offers_to_mark_the_device(verified_client):
    from accounts.enums import Role
    from tests.factories import MembershipFactory, OrganisationFactory

    place = OrganisationFactory(point_numerique=True)
    client = verified_client(MembershipFactory(organisation=place, role=Role.MEDIATEUR).user)
    page = client.get(reverse("mediation:console")).content.decode()
    assert f'href="{reverse("kiosk")}?suite=console"' in page
    response = client.post(reverse("kiosk"), {"suite": "console"})
    assert response.url == reverse("mediation:console") and COOKIE in response.cookies
    assert "Cet ordinateur est marqué comme partagé" in client.get(reverse("mediation:console")).content.decode()


def test_the_end_page_clears_the_browser_without_a_session(client):
    """Reached again (the browser's history): still nothing kept, nobody named, the mark kept."""
    mark_device(client)
    client.cookies["preference"] = "x"
    response = client.get(reverse("kiosk_ended"))
    assert response.status_code == 200 and response["Clear-Site-Data"] == '"cache", "storage"'
    assert response.cookies["preference"]["max-age"] == 0 and COOKIE not in response.cookies
