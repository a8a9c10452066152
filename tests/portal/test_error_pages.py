"""The embedded default (`make run`, DEBUG on) serves the portal's French error pages, never Django's technical
ones (issue 14, defect 6)."""

import pytest
from django.test import Client

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.portal.error_urls")]

PAGES = {
    "/adresse-mal-tapee/": (404, "Page non trouvée"),
    "/echec/404/": (404, "Page non trouvée"),
    "/echec/403/": (403, "Accès refusé"),
    "/echec/400/": (400, "Demande incorrecte"),
    "/echec/400-suspect/": (400, "Demande incorrecte"),
    "/echec/500/": (500, "Erreur inattendue"),
}


@pytest.fixture
def embedded(settings):
    """The settings of `make run`: DEBUG on (pytest-django turns it off), TECHNICAL_ERROR_PAGES unset."""
    settings.DEBUG = True
    assert settings.TECHNICAL_ERROR_PAGES is False


@pytest.mark.parametrize("url", PAGES)
def test_embedded_default_answers_with_the_french_error_pages(embedded, url, caplog):
    status, title = PAGES[url]
    response = Client(raise_request_exception=False).get(url)
    html = response.content.decode()
    assert response.status_code == status
    assert f"<h1>{title}</h1>" in html and "fr-header" in html  # the portal's page, in the portal's look
    assert "URLconf" not in html and "Traceback" not in html and "technical" not in html.lower()
    assert response.headers["X-Frame-Options"] == "DENY"  # still passed through the other middlewares


def test_a_failing_view_is_still_logged_with_its_traceback(embedded, caplog):
    Client(raise_request_exception=False).get("/echec/500/")
    record = next(r for r in caplog.records if r.name == "django.request")
    assert record.levelname == "ERROR" and record.exc_info[0] is RuntimeError


def test_a_failing_view_still_reaches_the_test_client(embedded, client):
    with pytest.raises(RuntimeError):
        client.get("/echec/500/")


def test_missing_slash_still_redirects(embedded, client):
    response = client.get("/aide")
    assert response.status_code == 301 and response["Location"] == "/aide/"


def test_a_developer_can_ask_for_the_technical_pages(embedded, settings):
    settings.TECHNICAL_ERROR_PAGES = True
    response = Client(raise_request_exception=False).get("/adresse-mal-tapee/")
    assert response.status_code == 404 and "URLconf" in response.content.decode()
