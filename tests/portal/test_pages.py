import pytest
from django.urls import reverse

from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "name", ["home", "help", "points_numeriques", "legal_mentions", "legal_privacy", "legal_accessibility"]
)
def test_public_pages_render_in_french_with_the_dsfr(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="fr"' in html
    assert "fr-header" in html and "fr-footer" in html and "fr-skiplinks" in html
    assert "Mentions légales" in html


def test_home_lists_the_three_titles_and_ways_to_get_help(client):
    html = client.get("/").content.decode()
    for label in ["Carte d'identité et passeport", "Permis de conduire", "Certificat d'immatriculation"]:
        assert label.replace("'", "&#x27;") in html
    assert "Un médiateur près de chez vous" in html


def test_branding_is_configuration(client, settings):
    settings.PORTAL_SITE_TITLE = "Démarches du Var"
    assert "Démarches du Var" in client.get("/").content.decode()


def test_404_is_french_in_the_same_look(client, settings):
    settings.DEBUG = False
    response = client.get("/cette-page-n-existe-pas/")
    assert response.status_code == 404
    assert "Page non trouvée" in response.content.decode()
    assert "fr-header" in response.content.decode()


def test_points_numeriques_filter_by_departement(client, django_assert_max_num_queries):
    OrganisationFactory(point_numerique=True, name="Point de Toulon", departement="83")
    OrganisationFactory(point_numerique=True, name="Point de Nîmes", departement="30")
    with django_assert_max_num_queries(3):
        html = client.get(reverse("points_numeriques"), {"departement": "83"}).content.decode()
    assert "Point de Toulon" in html and "Point de Nîmes" not in html


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["database"] == "ok"


def test_healthz_degraded_not_down_when_the_broker_does_not_answer(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    from portal.celery import app

    previous = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = previous
    # Pages still work (outbox, cache misses): a load balancer must not take the node out for it.
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "checks": {"database": "ok", "broker": "error"}}


def test_healthz_503_when_the_database_does_not_answer(client, monkeypatch):
    from django.db.backends.utils import CursorWrapper

    def broken(self, sql, params=None):
        raise RuntimeError("connection refused")

    monkeypatch.setattr(CursorWrapper, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "error"


def test_security_headers(client):
    response = client.get("/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    csp = response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
