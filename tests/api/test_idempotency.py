"""Idempotency-Key on POST: a replay gets the first response (the act runs once), another body under the same key
is a 422 problem, a replay that comes while the first request runs waits for it, and keys last 24 hours."""

import datetime

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone

from api import idempotency
from api.models import IdempotencyRecord
from api.tasks import purge_idempotency_keys
from tests.api.conftest import make_mandate
from tests.factories import UserFactory
from titles.models import Application
from vehicles.enums import CESSION

pytestmark = pytest.mark.django_db


def post_file(org, mandate, key, **extra):
    return org.client.post("/api/v1/files/", {"procedure": CESSION, "mandate": mandate.pk, **extra}, format="json",
                           HTTP_IDEMPOTENCY_KEY=key)


def test_a_replay_gets_the_first_response_and_the_act_runs_once(garage):
    mandate = make_mandate(UserFactory(), garage.organisation)
    first = post_file(garage, mandate, "cle-1")
    again = post_file(garage, mandate, "cle-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert again["Location"] == first["Location"]
    assert Application.objects.count() == 1
    # Another key is another request.
    assert post_file(garage, mandate, "cle-2").status_code == 201 and Application.objects.count() == 2


def test_the_same_key_with_another_body_is_a_422_problem(garage):
    mandate = make_mandate(UserFactory(), garage.organisation)
    other = make_mandate(UserFactory(), garage.organisation)
    post_file(garage, mandate, "cle-1")
    response = post_file(garage, other, "cle-1")
    assert response.status_code == 422 and response["Content-Type"] == "application/problem+json"
    assert response.json()["type"].endswith("/problems/idempotence-conflit")
    assert Application.objects.count() == 1


def test_keys_are_per_organisation(garage, other_garage):
    post_file(garage, make_mandate(UserFactory(), garage.organisation), "commune")
    response = post_file(other_garage, make_mandate(UserFactory(), other_garage.organisation), "commune")
    assert response.status_code == 201 and Application.objects.count() == 2


def test_an_error_response_is_replayed_too_but_not_a_server_error(garage):
    response = garage.client.post("/api/v1/files/", {"procedure": "inconnue", "mandate": 1}, format="json",
                                  HTTP_IDEMPOTENCY_KEY="cle-erreur")
    assert response.status_code == 400
    again = garage.client.post("/api/v1/files/", {"procedure": "inconnue", "mandate": 1}, format="json",
                               HTTP_IDEMPOTENCY_KEY="cle-erreur")
    assert again.status_code == 400 and again["Idempotent-Replayed"] == "true"
    assert again["Content-Type"] == "application/problem+json"


def test_a_key_is_kept_24_hours(garage):
    mandate = make_mandate(UserFactory(), garage.organisation)
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        post_file(garage, mandate, "cle-1")
    with time_machine.travel(now + datetime.timedelta(hours=23), tick=False):
        assert post_file(garage, mandate, "cle-1")["Idempotent-Replayed"] == "true"
        assert idempotency.purge() == 0
    with time_machine.travel(now + datetime.timedelta(hours=25), tick=False):
        assert idempotency.purge() == 1
        response = post_file(garage, mandate, "cle-1")
        assert response.status_code == 201 and not response.has_header("Idempotent-Replayed")
    assert Application.objects.count() == 2


def test_a_concurrent_replay_waits_for_the_first_request_and_never_runs_the_act_twice(garage, monkeypatch):
    """The first request holds the row (no response yet) while a replay arrives: the replay waits, and once the
    first stores its response, it is given that response. SQLite runs the test sequentially; the wait is the
    `sleep` the replay calls, during which the first request completes."""
    mandate = make_mandate(UserFactory(), garage.organisation)
    first = post_file(garage, mandate, "cle-1")
    stored = IdempotencyRecord.objects.get()
    # Put the row back as it is while the first request runs.
    IdempotencyRecord.objects.filter(pk=stored.pk).update(status_code=None, response=None)
    waits = []

    def first_request_finishes(seconds):
        waits.append(seconds)
        if len(waits) == 3:
            IdempotencyRecord.objects.filter(pk=stored.pk).update(status_code=201, response=first.json())

    monkeypatch.setattr(idempotency.time, "sleep", first_request_finishes)
    replay = post_file(garage, mandate, "cle-1")
    assert len(waits) == 3 and replay.status_code == 201 and replay.json() == first.json()
    assert Application.objects.count() == 1


def test_a_replay_that_waits_too_long_is_told_to_retry(garage, monkeypatch):
    mandate = make_mandate(UserFactory(), garage.organisation)
    post_file(garage, mandate, "cle-1")
    IdempotencyRecord.objects.update(status_code=None, response=None)
    monkeypatch.setattr(idempotency.time, "sleep", lambda seconds: None)
    response = post_file(garage, mandate, "cle-1")
    assert response.status_code == 409 and response.json()["type"].endswith("/problems/idempotence-en-cours")
    assert Application.objects.count() == 1


def test_the_unique_constraint_is_the_lock(garage):
    IdempotencyRecord.objects.create(organisation=garage.organisation, key="k", method="POST", path="/",
                                     fingerprint="a")
    with pytest.raises(IntegrityError), transaction.atomic():
        IdempotencyRecord.objects.create(organisation=garage.organisation, key="k", method="POST", path="/",
                                         fingerprint="a")


def test_the_periodic_task_purges_expired_keys(garage):
    IdempotencyRecord.objects.create(organisation=garage.organisation, key="vieille", method="POST", path="/",
                                     fingerprint="a", created_at=timezone.now() - datetime.timedelta(hours=30))
    IdempotencyRecord.objects.create(organisation=garage.organisation, key="recente", method="POST", path="/",
                                     fingerprint="a")
    assert purge_idempotency_keys() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["recente"]
