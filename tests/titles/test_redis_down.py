"""Redis unreachable: the shared cache misses and the portal keeps serving (sessions come from the database)."""

import logging

import pytest
from django.core.cache import caches
from django.urls import reverse

from portal.settings.base import LOCAL_CACHE, redis_cache

UNREACHABLE = "redis://127.0.0.1:1/0"  # nothing listens on port 1: every connection is refused at once


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {"default": redis_cache(UNREACHABLE), "local": LOCAL_CACHE}
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    yield
    caches["default"].close()


def test_signed_in_pages_still_work_when_redis_is_down(redis_down, client, submitted, caplog):
    client.force_login(submitted.applicant)  # the session is written to the database, the cache write is lost
    with caplog.at_level(logging.ERROR):
        dashboard = client.get(reverse("titles:dashboard"))
        page = client.get(reverse("titles:detail", kwargs={"reference": submitted.reference}))
        again = client.get(reverse("titles:detail", kwargs={"reference": submitted.reference}))
        statistics = client.get(reverse("statistics"))
    assert dashboard.status_code == page.status_code == again.status_code == statistics.status_code == 200
    assert submitted.reference in page.content.decode() and "Historique" in again.content.decode()
    assert "Error" in caplog.text or "refused" in caplog.text.lower()  # logged, not hidden
