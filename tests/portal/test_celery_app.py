"""The Celery app's worker-process hook: the PDF renderer loaded at start, never a reason for a worker to die."""

import gc
import logging

import pytest

from portal import celery as celery_app
from titles import pdf


@pytest.fixture
def unfreeze():
    yield
    gc.unfreeze()  # the hook freezes the heap: give the test process its collector back


def test_the_hook_loads_the_renderer_and_freezes_the_heap(monkeypatch, unfreeze):
    loaded = []
    monkeypatch.setattr(pdf, "warm_up", lambda: loaded.append(True))
    celery_app.prepare_worker_process()
    assert loaded == [True] and gc.get_freeze_count() > 0


def test_a_renderer_that_cannot_load_does_not_stop_the_worker(monkeypatch, caplog, unfreeze):
    def broken():
        raise OSError("cannot load library 'pango-1.0-0'")

    monkeypatch.setattr(pdf, "warm_up", broken)
    with caplog.at_level(logging.ERROR, logger="portal.celery"):
        celery_app.prepare_worker_process()
    assert "Le moteur PDF n'a pas pu être chargé" in caplog.text
