"""FranceConnect refusals that need a provider misbehaving in ways the loopback stub cannot: the token and userinfo
endpoints are replaced by in-process fakes (requests.post / requests.get as the library calls them), the ID token is
signed ES256 by a key made here. These run without Node.
"""

import datetime
import html
import json
import time

import jwt
import pytest
import requests
import time_machine
from cryptography.hazmat.primitives.asymmetric import ec

from accounts.enums import IdentitySource
from accounts.franceconnect import CALLBACK_ERROR_MESSAGES, EXPIRED_STATE_MESSAGE, GENERIC_FAILURE_MESSAGE
from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ISSUER = "https://fc.example.test/api/v2"
CLIENT_ID = "portal"
LOGIN_PATH = "/compte/connexion/"
NOW = datetime.datetime(2026, 3, 10, 9, 0, tzinfo=datetime.UTC)

CLAIMS = {
    "given_name": "Angela Claire Louise",
    "family_name": "DUBOIS",
    "birthdate": "1962-08-24",
    "birthplace": "75107",
    "birthcountry": "99100",
    "gender": "female",
    "email": "angela.dubois@exemple.test",
}


class FakeResponse:
    def __init__(self, body, content_type="application/json"):
        self.status_code = 200
        self.url = "fake"
        self.headers = {"content-type": content_type}
        self.text = body if isinstance(body, str) else json.dumps(body)

    def json(self):
        return json.loads(self.text)

    def raise_for_status(self):
        pass


class FakeProvider:
    """What FranceConnect answers to the next callback: an ID token and the userinfo, each shaped by the test."""

    def __init__(self, settings, monkeypatch):
        self.key = ec.generate_private_key(ec.SECP256R1())
        settings.OIDC_RP_CLIENT_ID = CLIENT_ID
        settings.OIDC_RP_CLIENT_SECRET = "secret"
        settings.OIDC_OP_ISSUER = ISSUER
        settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{ISSUER}/authorize"
        settings.OIDC_OP_TOKEN_ENDPOINT = f"{ISSUER}/token"
        settings.OIDC_OP_USER_ENDPOINT = f"{ISSUER}/userinfo"
        settings.OIDC_OP_JWKS_ENDPOINT = f"{ISSUER}/jwks"
        settings.OIDC_RP_SIGN_ALGO = "ES256"
        settings.OIDC_RP_IDP_SIGN_KEY = self.key.public_key()  # no JWKS fetch
        self.id_token_claims = {}
        self.userinfo = {}
        self.token_calls = 0
        monkeypatch.setattr(requests, "post", self.token_endpoint)
        monkeypatch.setattr(requests, "get", self.userinfo_endpoint)

    def sign(self, payload):
        return jwt.encode(payload, self.key, algorithm="ES256", headers={"kid": "fake"})

    def token_endpoint(self, url, **kwargs):
        assert url == f"{ISSUER}/token"
        self.token_calls += 1
        return FakeResponse({"access_token": "access", "token_type": "Bearer", "id_token": self.sign(self.id_token)})

    def userinfo_endpoint(self, url, **kwargs):
        assert url == f"{ISSUER}/userinfo"
        signed = {"iss": ISSUER, "aud": CLIENT_ID, **self.userinfo}
        return FakeResponse(self.sign(signed), "application/jwt")

    def answer(self, sub, nonce, userinfo_sub=None, claims=None, drop=()):
        now = int(time.time())
        id_token = {
            "iss": ISSUER,
            "aud": CLIENT_ID,
            "sub": sub,
            "nonce": nonce,
            "acr": "eidas1",
            "iat": now,
            "exp": now + 60,
        }
        self.id_token = {key: value for key, value in id_token.items() if key not in drop}
        self.userinfo = {**CLAIMS, **(claims or {}), "sub": userinfo_sub or sub}


@pytest.fixture
def provider(settings, monkeypatch):
    with time_machine.travel(NOW, tick=False):
        yield FakeProvider(settings, monkeypatch)


def start(client):
    """Click the FranceConnect button; return the state and nonce the portal put in the session."""
    response = client.get("/oidc/authenticate/")
    assert response.status_code == 302 and response.url.startswith(f"{ISSUER}/authorize?")
    ((state, values),) = client.session["oidc_states"].items()
    return state, values["nonce"]


def callback(client, state):
    return client.get("/oidc/callback/", {"code": "the-code", "state": state})


def messages_after(client, response):
    return html.unescape(client.get(response.url, follow=True).content.decode())


def test_a_good_answer_signs_in(client, provider):
    """The fake provider is a faithful one: with matching subs, the person is signed in."""
    state, nonce = start(client)
    provider.answer("sub-angela", nonce)
    response = callback(client, state)
    user = User.objects.get(fc_sub="sub-angela")
    assert response.status_code == 302 and response.url == "/mon-espace/"
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.session["oidc_id_token"]
    assert user.family_name == "DUBOIS" and user.fc_acr == "eidas1"


def test_userinfo_for_another_person_is_refused_and_changes_nothing(client, provider):
    """OIDC Core 5.3.2: the userinfo sub must be the ID token's; else refuse, without signing in as either person."""
    victim = UserFactory(
        fc_sub="sub-victim",
        identity_source=IdentitySource.FRANCECONNECT,
        family_name="MARTIN",
        given_names="Paul",
        birth_date=datetime.date(1970, 1, 2),
        fc_last_login=NOW - datetime.timedelta(days=3),
    )
    before = User.objects.filter(pk=victim.pk).values().get()
    users = User.objects.count()

    state, nonce = start(client)
    provider.answer("sub-someone-else", nonce, userinfo_sub="sub-victim", claims={"family_name": "IMPOSTEUR"})
    response = callback(client, state)

    assert response.status_code == 302 and response.url == LOGIN_PATH
    assert "_auth_user_id" not in client.session
    assert "oidc_id_token" not in client.session and "fc_acr" not in client.session
    assert GENERIC_FAILURE_MESSAGE in messages_after(client, response)
    assert User.objects.filter(pk=victim.pk).values().get() == before
    assert User.objects.count() == users


def test_userinfo_without_sub_is_refused(client, provider):
    state, nonce = start(client)
    provider.answer("sub-angela", nonce)
    del provider.userinfo["sub"]
    response = callback(client, state)
    assert response.url == LOGIN_PATH and "_auth_user_id" not in client.session
    assert not User.objects.filter(fc_sub="sub-angela").exists()


@pytest.mark.parametrize("claim", ["exp", "iat", "sub"])
def test_id_token_without_a_required_claim_is_refused(client, provider, claim):
    state, nonce = start(client)
    provider.answer("sub-angela", nonce, drop=(claim,))
    response = callback(client, state)
    assert response.status_code == 302 and response.url == LOGIN_PATH
    assert "_auth_user_id" not in client.session
    assert GENERIC_FAILURE_MESSAGE in messages_after(client, response)
    assert not User.objects.filter(fc_sub="sub-angela").exists()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"error": "access_denied", "state": "forged"}, CALLBACK_ERROR_MESSAGES["access_denied"]),
        ({"error": "server_error"}, CALLBACK_ERROR_MESSAGES["server_error"]),
        ({"code": "forged", "state": "forged"}, EXPIRED_STATE_MESSAGE),
        ({"code": "forged"}, EXPIRED_STATE_MESSAGE),
        ({}, GENERIC_FAILURE_MESSAGE),
    ],
    ids=["error", "error-without-state", "unknown-state", "code-without-state", "nothing"],
)
def test_a_forged_callback_does_not_sign_out_whoever_is_signed_in(client, provider, query, message):
    """Any site can make a browser GET /oidc/callback/: that must not end the person's session."""
    user = UserFactory()
    client.force_login(user)
    response = client.get("/oidc/callback/", query)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    assert message in messages_after(client, response)
    assert provider.token_calls == 0


def test_a_failed_login_does_not_sign_out_whoever_is_signed_in(client, provider):
    user = UserFactory()
    client.force_login(user)
    state, nonce = start(client)
    provider.answer("sub-someone", nonce, userinfo_sub="sub-other")
    response = callback(client, state)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    assert not User.objects.filter(fc_sub__in=["sub-someone", "sub-other"]).exists()


def test_an_error_callback_uses_up_its_state(client, provider):
    state, nonce = start(client)
    client.get("/oidc/callback/", {"error": "access_denied", "state": state})
    assert state not in client.session["oidc_states"]
    provider.answer("sub-angela", nonce)
    response = callback(client, state)
    assert response.url == LOGIN_PATH and "_auth_user_id" not in client.session
    assert provider.token_calls == 0
