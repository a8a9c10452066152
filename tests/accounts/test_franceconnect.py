"""FranceConnect login, refusals and logout, end to end against a real OpenID Connect provider on loopback.

Our side is Django's test client (server name ``testserver``); the person's browser at the provider is a
``requests.Session`` going through oidc-provider's development login and consent forms (tests/oidc/fc-stub.mjs).
The login typed in the provider's form becomes ``sub``; each test uses its own subs.
"""

import datetime
import html
import logging
import re
import uuid
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import jwt
import pytest
import requests
import time_machine
from django.test import Client

from accounts.enums import IdentitySource
from accounts.franceconnect import (
    CALLBACK_ERROR_MESSAGES,
    EXPIRED_STATE_MESSAGE,
    GENERIC_FAILURE_MESSAGE,
    FranceConnectBackend,
)
from accounts.models import User
from tests.accounts.conftest import configure_franceconnect
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.oidc, pytest.mark.django_db]

PORTAL = "http://testserver"
LOGIN_PATH = "/compte/connexion/"
LOGOUT_CALLBACK = f"{PORTAL}/compte/franceconnect/deconnexion/"

# A person born abroad (no commune code, a 99xxx country) whose exact birth date is unknown (presumed 1st January).
BORN_ABROAD = {
    "given_name": "Jean  Pierre Marie",
    "family_name": "MARTIN",
    "preferred_username": "DURAND",
    "birthdate": "1962-01-01",
    "birthplace": "",
    "birthcountry": "99217",
    "gender": "male",
    "email": "JP.Martin@Exemple.test",
}


# --- Driving the flow ----------------------------------------------------------------------------------------------


@pytest.fixture
def browser():
    """The person's browser at the provider."""
    with requests.Session() as session:
        yield session


def new_sub():
    return f"fc-{uuid.uuid4().hex}"


def start_login(client, settings):
    """Click the FranceConnect button: return the provider's authorization URL."""
    response = client.get("/oidc/authenticate/")
    assert response.status_code == 302
    assert response.url.startswith(settings.OIDC_OP_AUTHORIZATION_ENDPOINT + "?")
    return response.url


def authorize_at_provider(browser, authorize_url, sub, abort=False):
    """Sign in at the provider (dev login form, then consent) and return the redirect back to the portal.

    The redirect to http://testserver/ is not followed: it is for the Django test client. ``browser`` must not hold
    a provider session already (one browser per person and login), or the provider would skip its login form.
    """
    url, data, typed_login = authorize_url, None, False
    for _ in range(12):
        if data is None:
            response = browser.get(url, allow_redirects=False, timeout=10)
        else:
            response = browser.post(url, data=data, allow_redirects=False, timeout=10)
        if response.is_redirect:
            url, data = urljoin(url, response.headers["Location"]), None
            if url.startswith(f"{PORTAL}/"):
                assert typed_login or abort, "the provider reused a session instead of asking who signs in"
                return url
            continue
        assert response.status_code == 200, response.text
        page = response.text
        if abort:  # the "[ Cancel ]" link of the provider's pages
            url = urljoin(url, html.unescape(re.search(r'<a href="([^"]*/abort)"', page).group(1)))
            continue
        url = urljoin(url, html.unescape(re.search(r'<form[^>]*\saction="([^"]+)"', page).group(1)))
        prompt = re.search(r'name="prompt" value="(\w+)"', page).group(1)
        data = {"prompt": prompt}
        if prompt == "login":
            data.update(login=sub, password="n'importe lequel")
            typed_login = True
    raise AssertionError(f"The provider never sent the browser back to the portal (last page: {url})")


def path_of(url):
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def query_of(url):
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def with_query(url, **changes):
    parts = urlsplit(url)
    return parts._replace(query=urlencode({**query_of(url), **changes})).geturl()


def provider_callback(client, settings, stub, browser, sub, claims=None, **account):
    """Run the flow up to the provider's redirect to our callback, which is returned (not yet called)."""
    stub.set_account(sub, claims, **account)
    return authorize_at_provider(browser, start_login(client, settings), sub)


def login_with_franceconnect(client, settings, stub, browser, sub, claims=None, **account):
    callback = provider_callback(client, settings, stub, browser, sub, claims, **account)
    return client.get(path_of(callback))


def assert_logged_in_as(client, response, user):
    assert response.status_code == 302, response.content
    assert response.url == "/mon-espace/"
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.session["auth_method"] == "franceconnect"


def assert_refused(client, response, message):
    """No session, back to the login page, and the French explanation is shown there."""
    assert response.status_code == 302
    assert response.url == LOGIN_PATH
    assert "_auth_user_id" not in client.session
    page = client.get(response.url)
    assert page.status_code == 200
    assert message in html.unescape(page.content.decode())


@pytest.fixture
def refusals(caplog):
    """Return the reasons the portal logged for refused FranceConnect logins."""
    caplog.set_level(logging.INFO, logger="accounts.franceconnect")

    def reasons():
        return [
            record.getMessage()
            for record in caplog.records
            if record.name == "accounts.franceconnect" and record.levelno >= logging.WARNING
        ]

    return reasons


# --- Accounts --------------------------------------------------------------------------------------------------------


def test_first_login_creates_the_user_from_the_claims(client, settings, franceconnect, browser):
    sub = new_sub()
    response = login_with_franceconnect(client, settings, franceconnect, browser, sub, BORN_ABROAD)

    user = User.objects.get(fc_sub=sub)
    assert_logged_in_as(client, response, user)
    assert user.identity_source == IdentitySource.FRANCECONNECT and user.identity_locked
    assert user.given_names == "Jean Pierre Marie"  # every given name, in order
    assert user.family_name == "MARTIN"
    assert user.usage_name == "DURAND"
    assert user.birth_date == datetime.date(1962, 1, 1)  # presumed date kept as given
    assert user.birth_place == ""  # born abroad: no commune
    assert user.birth_country == "99217"
    assert user.gender == "male"
    assert user.email == "jp.martin@exemple.test"
    assert user.email_verified_at is not None
    assert user.fc_acr == "eidas1"
    assert not user.has_usable_password()
    # The ID token is kept for the logout (id_token_hint), and it is the provider's, signed ES256.
    id_token = client.session["oidc_id_token"]
    assert jwt.get_unverified_header(id_token)["alg"] == "ES256"
    assert jwt.decode(id_token, options={"verify_signature": False})["sub"] == sub


def test_an_account_created_through_franceconnect_takes_the_mandate_requests_made_for_its_address(
        client, settings, franceconnect, browser):
    from django.utils import timezone

    from journal.enums import Action
    from journal.models import Entry
    from tests.factories import OrganisationFactory
    from titles.enums import ConsentMethod
    from titles.models import Mandate

    garage = OrganisationFactory(kind="pro_auto")
    staff = UserFactory()
    now = timezone.now()
    invited = Mandate.objects.create(
        invited_email="jp.martin@exemple.test", organisation=garage, procedures=["cession"],
        consent_method=ConsentMethod.ELECTRONIC, valid_from=now, valid_until=now + datetime.timedelta(days=30),
        created_by=staff, declared_name="Jean-Pierre Martin",
    )
    sub = new_sub()
    login_with_franceconnect(client, settings, franceconnect, browser, sub, BORN_ABROAD)

    user = User.objects.get(fc_sub=sub)
    invited.refresh_from_db()
    assert invited.citizen == user and invited.confirmed_at is None  # waits on Mon espace for the person's word
    entry = Entry.objects.get(action=Action.MANDATE_ATTACHED)
    assert (entry.actor, entry.organisation, entry.payload["requested_by"]) == (user, garage, staff.pk)


def test_next_login_with_the_same_sub_finds_the_same_user_even_with_a_new_email(client, settings, franceconnect):
    sub = new_sub()
    with requests.Session() as browser:
        login_with_franceconnect(client, settings, franceconnect, browser, sub, BORN_ABROAD)
    user = User.objects.get(fc_sub=sub)
    client.logout()
    count = User.objects.count()

    # Meanwhile the person changed e-mail at the identity provider and their name was corrected there.
    changed = {**BORN_ABROAD, "email": "nouvelle.adresse@exemple.test", "family_name": "MARTIN-DUPONT"}
    with requests.Session() as browser:
        response = login_with_franceconnect(client, settings, franceconnect, browser, sub, changed)

    assert_logged_in_as(client, response, user)
    assert User.objects.count() == count
    user.refresh_from_db()
    assert user.family_name == "MARTIN-DUPONT"  # identity: FranceConnect is the source of truth
    assert user.email == "jp.martin@exemple.test"  # contact data: the person's own, left alone


def test_a_local_account_with_the_same_email_is_not_merged(client, settings, franceconnect, browser):
    local = UserFactory(email="jp.martin@exemple.test")
    sub = new_sub()
    response = login_with_franceconnect(client, settings, franceconnect, browser, sub, BORN_ABROAD)

    assert User.objects.count() == 2
    fc_user = User.objects.get(fc_sub=sub)
    assert fc_user.pk != local.pk
    assert_logged_in_as(client, response, fc_user)
    assert fc_user.email != local.email and fc_user.email.endswith(".invalid")
    local.refresh_from_db()
    assert local.fc_sub is None
    assert local.identity_source == IdentitySource.DECLARED
    assert local.check_password(PASSWORD)


def test_a_higher_eidas_level_is_accepted_and_recorded(client, settings, franceconnect, browser):
    sub = new_sub()
    response = login_with_franceconnect(client, settings, franceconnect, browser, sub, acr="eidas2")
    user = User.objects.get(fc_sub=sub)
    assert_logged_in_as(client, response, user)
    assert user.fc_acr == "eidas2"


def test_rs256_provider_works_when_configured(client, settings, fc_stubs, browser):
    stub = configure_franceconnect(settings, fc_stubs("RS256"))
    sub = new_sub()
    response = login_with_franceconnect(client, settings, stub, browser, sub)
    assert_logged_in_as(client, response, User.objects.get(fc_sub=sub))
    assert jwt.get_unverified_header(client.session["oidc_id_token"])["alg"] == "RS256"


# --- Refusals --------------------------------------------------------------------------------------------------------


def test_tampered_state_is_refused(client, settings, franceconnect, browser):
    sub = new_sub()
    callback = provider_callback(client, settings, franceconnect, browser, sub)
    response = client.get(path_of(with_query(callback, state=query_of(callback)["state"][:-4] + "AAAA")))
    assert_refused(client, response, EXPIRED_STATE_MESSAGE)
    assert not User.objects.filter(fc_sub=sub).exists()


def test_replayed_callback_is_refused(client, settings, franceconnect, browser):
    sub = new_sub()
    callback = provider_callback(client, settings, franceconnect, browser, sub)
    assert_logged_in_as(client, client.get(path_of(callback)), User.objects.get(fc_sub=sub))

    # Someone who got hold of the callback URL (history, logs, Referer) replays it in another browser...
    other_browser = Client()
    assert_refused(other_browser, other_browser.get(path_of(callback)), EXPIRED_STATE_MESSAGE)
    # ...or the person goes back to it: the state was used up, and the person stays signed in as themselves (a
    # failed callback never ends a session: any site could make a browser send one).
    user = User.objects.get(fc_sub=sub)
    response = client.get(path_of(callback))
    assert response.status_code == 302 and response.url == LOGIN_PATH
    assert client.session["_auth_user_id"] == str(user.pk)
    assert EXPIRED_STATE_MESSAGE in html.unescape(client.get(response.url, follow=True).content.decode())


def test_wrong_nonce_in_the_session_is_refused(client, settings, franceconnect, browser, refusals):
    callback = provider_callback(client, settings, franceconnect, browser, new_sub())
    session = client.session
    session["oidc_states"][query_of(callback)["state"]]["nonce"] = "n" * 32
    session.save()
    assert_refused(client, client.get(path_of(callback)), GENERIC_FAILURE_MESSAGE)
    assert any("Nonce verification failed" in reason for reason in refusals())


def test_code_injected_into_another_login_is_refused_by_the_nonce(client, settings, franceconnect, browser, refusals):
    """An attacker who got a victim's authorization code plays it with their own state: the nonces differ."""
    victim_callback = provider_callback(client, settings, franceconnect, browser, new_sub())
    attacker = Client()
    attacker_state = query_of(start_login(attacker, settings))["state"]
    response = attacker.get(path_of(with_query(victim_callback, state=attacker_state)))
    assert_refused(attacker, response, GENERIC_FAILURE_MESSAGE)
    assert any("Nonce verification failed" in reason for reason in refusals())


def test_wrong_issuer_is_refused(client, settings, franceconnect, browser, refusals):
    sub = new_sub()
    callback = provider_callback(client, settings, franceconnect, browser, sub)
    settings.OIDC_OP_ISSUER = "https://auth.franceconnect.gouv.fr/api/v2"
    assert_refused(client, client.get(path_of(callback)), GENERIC_FAILURE_MESSAGE)
    assert any("unexpected issuer" in reason for reason in refusals())
    assert not User.objects.filter(fc_sub=sub).exists()


def test_id_token_for_another_client_is_refused(client, settings, franceconnect, browser, refusals, monkeypatch):
    """The provider answers our token request with a genuine, signed ID token made for another service.

    The code is obtained for client "other" and exchanged with its credentials (a patched ``get_token``), so the
    provider itself issues a token whose ``aud`` is "other", while the portal is configured as "portal".
    mozilla-django-oidc does not check ``aud`` (mozilla-django-oidc#340): this is our own check.
    """
    sub = new_sub()
    franceconnect.set_account(sub)
    settings.OIDC_RP_CLIENT_ID = "other"
    authorize_url = start_login(client, settings)
    settings.OIDC_RP_CLIENT_ID = "portal"
    callback = authorize_at_provider(browser, authorize_url, sub)

    issued = []
    get_token = FranceConnectBackend.get_token

    def get_token_as_other_client(self, payload):
        token = get_token(
            self, {**payload, "client_id": "other", "client_secret": franceconnect.client_secrets["other"]}
        )
        issued.append(jwt.decode(token["id_token"], options={"verify_signature": False}))
        return token

    monkeypatch.setattr(FranceConnectBackend, "get_token", get_token_as_other_client)
    assert_refused(client, client.get(path_of(callback)), GENERIC_FAILURE_MESSAGE)
    assert [token["aud"] for token in issued] == ["other"]
    assert any("not issued for this client" in reason for reason in refusals())
    assert not User.objects.filter(fc_sub=sub).exists()


def test_id_token_signed_rs256_when_es256_is_expected_is_refused(client, settings, fc_stubs, browser, refusals):
    """A second provider instance really signs RS256 (with a key it publishes); the portal expects ES256."""
    stub = configure_franceconnect(settings, fc_stubs("RS256"))
    settings.OIDC_RP_SIGN_ALGO = "ES256"
    sub = new_sub()
    response = login_with_franceconnect(client, settings, stub, browser, sub)
    assert_refused(client, response, GENERIC_FAILURE_MESSAGE)
    assert any("does not match the client's OIDC_RP_SIGN_ALGO" in reason for reason in refusals())
    assert not User.objects.filter(fc_sub=sub).exists()


@pytest.mark.parametrize("alg", ["none", "HS256"])
def test_unsigned_or_hs256_id_token_is_refused(client, settings, franceconnect, browser, refusals, alg):
    """oidc-provider cannot issue these, so the stub's token endpoint re-encodes this person's genuine ID token
    (same claims, same kid) unsigned or HMAC-signed with our client secret, as a hostile provider would."""
    sub = new_sub()
    response = login_with_franceconnect(client, settings, franceconnect, browser, sub, id_token=alg)
    assert_refused(client, response, GENERIC_FAILURE_MESSAGE)
    # mozilla-django-oidc only takes a JWKS key whose kid *and* alg match the token's header; none does.
    assert any("Could not find a valid JWKS" in reason for reason in refusals())
    assert not User.objects.filter(fc_sub=sub).exists()


@pytest.mark.parametrize("acr", ["eidas0", None], ids=["eidas0", "no-acr"])
def test_acr_below_eidas1_is_refused(client, settings, franceconnect, browser, refusals, acr):
    sub = new_sub()
    response = login_with_franceconnect(client, settings, franceconnect, browser, sub, acr=acr)
    assert_refused(client, response, GENERIC_FAILURE_MESSAGE)
    assert any(f"acr {acr!r} below 'eidas1'" in reason for reason in refusals())
    assert not User.objects.filter(fc_sub=sub).exists()


def test_cancel_at_the_provider_is_explained(client, settings, franceconnect, browser):
    authorize_url = start_login(client, settings)
    callback = authorize_at_provider(browser, authorize_url, new_sub(), abort=True)
    params = query_of(callback)
    assert params["error"] == "access_denied"
    assert params["state"] == query_of(authorize_url)["state"]
    assert_refused(client, client.get(path_of(callback)), CALLBACK_ERROR_MESSAGES["access_denied"])
    assert "annulé la connexion avec FranceConnect" in CALLBACK_ERROR_MESSAGES["access_denied"]
    assert params["state"] not in client.session.get("oidc_states", {})  # used up


def test_callback_from_another_browser_or_an_expired_session_is_explained(client, settings, franceconnect, browser):
    """Two tabs, back button, expired session: a state that is not in the session gives a message, never 400."""
    callback = provider_callback(client, settings, franceconnect, browser, new_sub())
    fresh_browser = Client()
    assert_refused(fresh_browser, fresh_browser.get(path_of(callback)), EXPIRED_STATE_MESSAGE)
    assert "a expiré" in EXPIRED_STATE_MESSAGE

    client.cookies.pop(settings.SESSION_COOKIE_NAME)  # the session expired while the person was at FranceConnect
    assert_refused(client, client.get(path_of(callback)), EXPIRED_STATE_MESSAGE)


def test_portal_clock_behind_the_provider_is_refused_with_a_message(client, settings, franceconnect, browser):
    """If the portal's clock lags, PyJWT says the ID token is "not yet valid": a message, not a server error."""
    sub = new_sub()
    callback = provider_callback(client, settings, franceconnect, browser, sub)
    with time_machine.travel(datetime.datetime.now(tz=datetime.UTC) - datetime.timedelta(minutes=5)):
        response = client.get(path_of(callback))
    assert_refused(client, response, GENERIC_FAILURE_MESSAGE)
    assert not User.objects.filter(fc_sub=sub).exists()


# --- Account page --------------------------------------------------------------------------------------------------


def test_identity_from_franceconnect_is_read_only(client, settings, franceconnect, browser):
    sub = new_sub()
    login_with_franceconnect(client, settings, franceconnect, browser, sub, BORN_ABROAD)
    user = User.objects.get(fc_sub=sub)
    before = {
        field: getattr(user, field)
        for field in (
            "given_names",
            "family_name",
            "usage_name",
            "birth_date",
            "birth_place",
            "birth_country",
            "gender",
            "identity_source",
        )
    }

    page = client.get("/compte/")
    content = html.unescape(page.content.decode())
    assert page.status_code == 200
    assert 'name="section" value="identity"' not in content
    assert "Votre identité vient de FranceConnect" in content

    response = client.post(
        "/compte/",
        {
            "section": "identity",
            "given_names": "Usurpé",
            "family_name": "AUTRE",
            "birth_date": "2000-02-02",
            "birth_place": "83137",
            "birth_country": "99100",
            "gender": "female",
            "usage_name": "AUTRE",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert {field: getattr(user, field) for field in before} == before
    assert "ne peuvent pas être modifiées" in html.unescape(client.get("/compte/").content.decode())


# --- Logout --------------------------------------------------------------------------------------------------------


def test_logout_goes_through_franceconnect_and_back(client, settings, franceconnect, browser):
    login_with_franceconnect(client, settings, franceconnect, browser, new_sub())
    id_token = client.session["oidc_id_token"]

    response = client.post("/compte/deconnexion/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    end_session = response.url
    assert end_session.startswith(franceconnect.discovery["end_session_endpoint"] + "?")
    params = query_of(end_session)
    assert params["id_token_hint"] == id_token
    assert params["state"]
    assert params["post_logout_redirect_uri"] == LOGOUT_CALLBACK

    # At the provider: its logout confirmation page, then "Yes, sign me out".
    page = browser.get(end_session, allow_redirects=False, timeout=10)
    assert page.status_code == 200
    form = re.search(r'<form id="op.logoutForm" method="post" action="([^"]+)">(.*?)</form>', page.text)
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form.group(2)))
    confirmed = browser.post(
        urljoin(end_session, html.unescape(form.group(1))),
        data={**fields, "logout": "yes"},
        allow_redirects=False,
        timeout=10,
    )
    assert confirmed.is_redirect
    back = urljoin(end_session, confirmed.headers["Location"])
    assert back.split("?")[0] == LOGOUT_CALLBACK
    assert query_of(back)["state"] == params["state"]

    landing = client.get(path_of(back), follow=True)
    assert landing.status_code == 200
    assert "Vous êtes déconnecté de ce portail et de FranceConnect" in html.unescape(landing.content.decode())


def test_logout_callback_with_another_state_does_not_claim_the_franceconnect_logout(
    client, settings, franceconnect, browser
):
    login_with_franceconnect(client, settings, franceconnect, browser, new_sub())
    client.post("/compte/deconnexion/")
    landing = client.get("/compte/franceconnect/deconnexion/?state=forged", follow=True)
    content = html.unescape(landing.content.decode())
    assert "Vous êtes déconnecté de ce portail." in content
    assert "et de FranceConnect" not in content


def test_logout_of_a_local_account_stays_local(client, settings, franceconnect):
    client.force_login(UserFactory())
    response = client.post("/compte/deconnexion/")
    assert response.status_code == 302 and response.url == "/compte/deconnecte/"


# --- The button ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("client_id", "issuer", "shown"),
    [
        ("", "", False),
        ("portal", "https://auth.franceconnect.gouv.fr/api/v2", True),
        ("portal", "", False),
    ],
    ids=["not-configured", "configured", "issuer-missing"],
)
def test_franceconnect_button_only_when_configured(client, settings, client_id, issuer, shown):
    settings.OIDC_RP_CLIENT_ID = client_id
    settings.OIDC_OP_ISSUER = issuer
    content = client.get(LOGIN_PATH).content.decode()
    assert ('class="fr-connect"' in content) is shown
    assert ('action="/oidc/authenticate/"' in content) is shown


def test_authenticate_when_not_configured_explains(client, settings):
    settings.OIDC_RP_CLIENT_ID = ""
    response = client.get("/oidc/authenticate/")
    assert response.status_code == 302 and response.url == LOGIN_PATH
    assert "n'est pas disponible" in html.unescape(client.get(LOGIN_PATH).content.decode())
