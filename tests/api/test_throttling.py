"""Throttling per API key: past the burst rate a key gets 429 as problem+json with Retry-After, another key of the
same organisation or of another is not slowed, and the key may call again once the window has passed."""

import datetime

import pytest
import time_machine
from django.test import override_settings
from rest_framework.test import APIClient

from api import services as api_services
from api.models import IdempotencyRecord

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 10, 9, 30, tzinfo=datetime.UTC)


@override_settings(API_THROTTLE_RATES={"burst": "3/minute", "sustained": "7/hour"})
def test_a_key_past_its_rate_gets_429_with_retry_after(garage, other_garage):
    with time_machine.travel(NOW, tick=False) as clock:
        for _ in range(3):
            assert garage.client.get("/api/v1/files/").status_code == 200
        response = garage.client.get("/api/v1/files/")
        assert response.status_code == 429 and response["Content-Type"] == "application/problem+json"
        assert response["Retry-After"] == "60"
        body = response.json()
        assert body["type"].endswith("/api/v1/problems/trop-de-requetes") and body["status"] == 429
        assert "réessayez dans 60 secondes" in body["detail"]
        # Per key: another organisation's key, and another key of the same organisation, are not slowed.
        assert other_garage.client.get("/api/v1/files/").status_code == 200
        second = api_services.create_key(garage.organisation, name="Second poste", scopes=["read"], by=garage.manager)
        assert APIClient().get("/api/v1/files/", HTTP_AUTHORIZATION=f"Bearer {second.full_key}").status_code == 200
        # The window slides: 20 s later, 40 s still to wait; a minute later, the key calls again.
        clock.shift(20)
        assert garage.client.get("/api/v1/files/")["Retry-After"] == "40"
        clock.shift(41)
        assert garage.client.get("/api/v1/files/").status_code == 200
        # The sustained rate (7 an hour; DRF counts a call refused by one rate against the other) holds once the
        # bursts add up.
        assert garage.client.get("/api/v1/files/").status_code == 200
        response = garage.client.get("/api/v1/files/")
        assert response.status_code == 429 and int(response["Retry-After"]) > 3000


@override_settings(API_THROTTLE_RATES={"burst": "1/minute", "sustained": "100/hour"})
def test_a_write_is_throttled_before_it_acts(garage):
    with time_machine.travel(NOW, tick=False):
        assert garage.client.get("/api/v1/mandates/").status_code == 200
        response = garage.client.post("/api/v1/files/", {"procedure": "cession", "mandate": 1}, format="json",
                                      HTTP_IDEMPOTENCY_KEY="k-1")
        assert response.status_code == 429
    assert not IdempotencyRecord.objects.exists()


def test_the_schema_documents_429_on_every_operation(garage):
    schema = garage.client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    operations = [op for item in schema["paths"].values() for op in item.values() if isinstance(op, dict)]
    assert operations and all("429" in op["responses"] for op in operations)


REDIS_CACHE = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://127.0.0.1:6379/14"},
               "local": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def test_both_rates_are_counted_in_one_redis_round_trip(garage):
    """Against the real Redis: the counters `api-rate:<rate>:<key id>`, both in one pipeline (one round trip)."""
    from django_redis import get_redis_connection
    from redis.client import Pipeline

    with override_settings(CACHES=REDIS_CACHE, API_THROTTLE_RATES={"burst": "2/minute", "sustained": "100/hour"}):
        redis = get_redis_connection("default")
        keys = [f"api-rate:{rate}:{garage.key.pk}" for rate in ("burst", "sustained")]
        redis.delete(*keys)
        executed = []
        original = Pipeline.execute

        def spy(pipe, *args, **kwargs):
            executed.append(len(pipe.command_stack))
            return original(pipe, *args, **kwargs)

        try:
            Pipeline.execute = spy
            assert [garage.client.get("/api/v1/mandates/").status_code for _ in range(3)] == [200, 200, 429]
        finally:
            Pipeline.execute = original
        refused = garage.client.get("/api/v1/mandates/")
        assert refused.status_code == 429 and 1 <= int(refused["Retry-After"]) <= 60
        assert executed == [6, 6, 6]  # one round trip per call: SET NX, INCR, TTL for each rate
        assert int(redis.get(keys[0])) == 4 and int(redis.get(keys[1])) == 4
        assert 3500 < redis.ttl(keys[1]) <= 3600
        redis.delete(*keys)
