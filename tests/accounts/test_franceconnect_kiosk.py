"""Issue 14, the kiosk: « Terminer et tout effacer » on a shared computer, for a person who came through
FranceConnect, ends the FranceConnect session too (its end_session_endpoint with id_token_hint and
post_logout_redirect_uri), then lands on the kiosk's end page; against the real OpenID Connect stub on loopback."""

import html
import re
from urllib.parse import urljoin

import pytest
import requests

from tests.accounts.test_franceconnect import (
    LOGOUT_CALLBACK,
    login_with_franceconnect,
    new_sub,
    path_of,
    query_of,
)
from tests.portal.test_kiosk import mark_device

pytestmark = [pytest.mark.oidc, pytest.mark.django_db]

KIOSK_END = "/appareil-partage/terminer/"
KIOSK_ENDED = "/appareil-partage/termine/"


@pytest.fixture
def browser():
    """The person's browser at the provider."""
    with requests.Session() as session:
        yield session


def confirm_logout_at_provider(browser, end_session):
    """The provider's logout confirmation page, then « Yes, sign me out »: return where it sends the browser."""
    page = browser.get(end_session, allow_redirects=False, timeout=10)
    assert page.status_code == 200
    form = re.search(r'<form id="op.logoutForm" method="post" action="([^"]+)">(.*?)</form>', page.text)
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form.group(2)))
    confirmed = browser.post(
        urljoin(end_session, html.unescape(form.group(1))), data={**fields, "logout": "yes"},
        allow_redirects=False, timeout=10,
    )
    assert confirmed.is_redirect
    return urljoin(end_session, confirmed.headers["Location"])


def test_ending_a_kiosk_session_ends_the_franceconnect_session_and_lands_on_the_end_page(
    client, settings, franceconnect, browser
):
    mark_device(client)
    login_with_franceconnect(client, settings, franceconnect, browser, new_sub())
    id_token = client.session["oidc_id_token"]

    response = client.post(KIOSK_END)
    assert response.status_code == 302 and "_auth_user_id" not in client.session
    assert response["Clear-Site-Data"] == '"cache", "storage"'
    assert response.cookies["sessionid"]["max-age"] == 0
    end_session = response.url
    assert end_session.startswith(franceconnect.discovery["end_session_endpoint"] + "?")
    params = query_of(end_session)
    assert params["id_token_hint"] == id_token and params["state"]
    assert params["post_logout_redirect_uri"] == LOGOUT_CALLBACK  # the one URI registered at FranceConnect

    back = confirm_logout_at_provider(browser, end_session)
    assert back.split("?")[0] == LOGOUT_CALLBACK and query_of(back)["state"] == params["state"]
    callback = client.get(path_of(back))
    assert callback.status_code == 302 and callback.url == KIOSK_ENDED
    assert callback.cookies["fc_logout_next"]["max-age"] == 0

    landing = client.get(callback.url)
    assert landing.status_code == 200
    assert landing["Clear-Site-Data"] == '"cache", "storage"' and "no-store" in landing["Cache-Control"]
    page = html.unescape(landing.content.decode())
    assert "Vous êtes déconnecté de ce portail et de FranceConnect" in page
    assert "Mon espace" in page and "courriel" in page


def test_a_forged_landing_is_not_followed(client, settings, franceconnect, browser):
    """The signed cookie says where to land; a cookie typed by hand (unsigned, or to another site) is ignored."""
    mark_device(client)
    login_with_franceconnect(client, settings, franceconnect, browser, new_sub())
    client.post(KIOSK_END)
    client.cookies["fc_logout_next"] = "https://ailleurs.example/"
    landing = client.get("/compte/franceconnect/deconnexion/?state=forged")
    assert landing.status_code == 302 and landing.url == "/compte/deconnecte/"


def test_a_local_account_ends_without_franceconnect(client, citizen):
    mark_device(client)
    client.force_login(citizen)
    response = client.post(KIOSK_END)
    assert response.status_code == 302 and response.url == KIOSK_ENDED
    assert "_auth_user_id" not in client.session
