"""The applicant's own file page kept whole (titles/page_cache.py `cached_page`): served without rendering while
nothing on it changed, with the request's own CSRF token, and never kept when something on it is not the file's."""

import re

import pytest
from django.contrib.messages import constants as levels
from django.contrib.messages.storage.base import Message as FlashMessage
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.messages.storage.session import SessionStorage
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse

from accounts.enums import Role
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from titles import page_cache, services
from titles.registry import registry
from titles.www.citizen import files

pytestmark = pytest.mark.usefixtures("midday")  # the page's key holds the day
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _url(application):
    return reverse("titles:detail", kwargs={"reference": application.reference})


@pytest.fixture
def renders(monkeypatch):
    """Count the renders of the file page's context (a page served whole from the cache makes none)."""
    calls = []
    real = files._detail_context

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(files, "_detail_context", counted)
    return calls


@pytest.fixture
def applicant_client(submitted):
    client = Client(enforce_csrf_checks=True)
    client.force_login(submitted.applicant)
    return client


def test_a_reload_is_served_whole_with_the_requests_own_csrf_token(applicant_client, submitted, renders):
    first = applicant_client.get(_url(submitted))
    second = applicant_client.get(_url(submitted))
    assert first.status_code == second.status_code == 200
    assert len(renders) == 1  # the second came from the cache
    assert page_cache.CSRF_SLOT not in second.content.decode()
    tokens = set(TOKEN.findall(second.content.decode()))
    assert len(tokens) == 1 and tokens != set(TOKEN.findall(first.content.decode()))  # masked anew
    # The page as served is the rendered one but for its token.
    assert TOKEN.sub("", first.content.decode()) == TOKEN.sub("", second.content.decode())

    # The token put back works: the message form of the served page is accepted (CSRF checked).
    response = applicant_client.post(reverse("titles:message", kwargs={"reference": submitted.reference}),
                                     {"body": "Bonjour, où en est mon dossier ?", "csrfmiddlewaretoken": tokens.pop()})
    assert response.status_code == 302
    page = applicant_client.get(_url(submitted)).content.decode()
    assert "Bonjour, où en est mon dossier ?" in page and "Votre message est envoyé." in page
    assert len(renders) == 2  # a new message: a new fingerprint, rendered again


def test_a_flash_message_is_shown_once_and_the_page_after_it_is_the_plain_one(applicant_client, submitted, renders):
    applicant_client.get(_url(submitted))  # kept
    # A message left by the previous request, as the messages framework keeps it (in a cookie).
    storage = CookieStorage(HttpRequest())
    applicant_client.cookies[storage.cookie_name] = storage._encode(
        [FlashMessage(levels.SUCCESS, "Votre adresse est mise à jour.")])
    assert "Votre adresse est mise à jour." in applicant_client.get(_url(submitted)).content.decode()
    assert len(renders) == 2  # a page with a message is rendered, never served from the cache…
    assert "Votre adresse est mise à jour." not in applicant_client.get(_url(submitted)).content.decode()
    assert len(renders) == 2  # …nor kept: the next reload is the page kept before


def test_a_new_professional_space_shows_in_the_navigation_at_once(applicant_client, submitted, renders):
    assert "Mon auto-école" not in applicant_client.get(_url(submitted)).content.decode()
    MembershipFactory(user=submitted.applicant, organisation=OrganisationFactory(kind="auto_ecole"), role=Role.STAFF)
    assert "Mon auto-école" in applicant_client.get(_url(submitted)).content.decode()
    assert len(renders) == 2


def test_a_rename_of_the_applicant_shows_at_once(applicant_client, submitted, renders):
    applicant_client.get(_url(submitted))
    submitted.applicant.given_names = "Nouveauprénom"
    submitted.applicant.save()
    assert "Nouveauprénom" in applicant_client.get(_url(submitted)).content.decode()


def test_what_is_never_kept_whole(submitted, agent, rf):
    def request_by(user):
        request = rf.get(_url(submitted))
        request.user = user
        request.session = {}
        request._messages = SessionStorage(request)
        return request

    assert page_cache.page_key(request_by(submitted.applicant), submitted) is not None
    # Someone else reaching the file (a médiateur, a professional under a mandate): their page has a banner.
    assert page_cache.page_key(request_by(UserFactory()), submitted) is None
    # A refusal says whether the phone line and the nearest point numérique are open now.
    services.apply_transition(submitted, "take", actor=agent)
    services.apply_transition(submitted, "reject", actor=agent, reason="Pièce illisible")
    submitted.refresh_from_db()
    assert page_cache.page_key(request_by(submitted.applicant), submitted) is None


@pytest.mark.parametrize("code, kept", [
    ("changement-titulaire", True),  # its page reads the file alone
    ("permis-perte", True),  # its status wording reads the file and its centre (LicenceProcedure says so)
    ("cession", False),  # the buyer's use of the code changes the wording and the withdrawal
    ("cni-pre-demande", False),  # the appointment panel
])
def test_which_procedures_pages_may_be_kept_whole(code, kept):
    assert registry.get(code).page_shows_only_the_file() is kept

