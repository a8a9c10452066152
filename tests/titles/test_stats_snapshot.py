"""`/statistiques/` reads a snapshot that beat refreshes every 5 minutes, and recomputes it on read only when it is
older than 15 minutes (beat stopped); one process at a time, the others serving the stale figures meanwhile."""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from tests.titles.test_stats import filed
from titles import stats, tasks
from titles.models import StatisticsSnapshot

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 31, 10, 0, tzinfo=datetime.UTC)
MINUTE = datetime.timedelta(minutes=1)


def waiting(dashboard, procedure):
    return next(figure.total.waiting for figure in dashboard.procedures if figure.code == procedure.code)


def test_beat_refreshes_the_snapshot_every_five_minutes():
    entry = settings.CELERY_BEAT_SCHEDULE["titles-refresh-statistics"]
    assert entry == {"task": "titles.tasks.refresh_statistics", "schedule": 300.0}
    assert stats.SNAPSHOT_SECONDS == 300


def test_fresh_snapshot_is_served_stale_one_is_recomputed(client, procedure, cert):
    with time_machine.travel(NOW, tick=False) as traveller:
        filed(procedure)
        tasks.refresh_statistics()
        snapshot = StatisticsSnapshot.objects.get()
        assert snapshot.computed_at == NOW
        filed(procedure)

        traveller.move_to(NOW + 14 * MINUTE)
        cache.clear()  # another process: it reads the row
        dashboard, _ = stats.current_figures()
        assert dashboard.now == NOW and waiting(dashboard, procedure) == 1
        assert "<td>1</td>" in client.get(reverse("statistics")).content.decode()

        traveller.move_to(NOW + 16 * MINUTE)  # beat stopped: the page recomputes it
        dashboard, _ = stats.current_figures()
        assert dashboard.now == NOW + 16 * MINUTE and waiting(dashboard, procedure) == 2
        assert StatisticsSnapshot.objects.get().computed_at == NOW + 16 * MINUTE


def test_a_stale_snapshot_is_recomputed_by_one_process_only(procedure, cert):
    with time_machine.travel(NOW, tick=False) as traveller:
        filed(procedure)
        stats.refresh_snapshot()
        filed(procedure)
        traveller.move_to(NOW + 20 * MINUTE)
        cache.clear()
        cache.add(stats.REFRESH_LOCK_KEY, True, 120)  # another process is computing it
        dashboard, _ = stats.current_figures()
        assert dashboard.now == NOW and waiting(dashboard, procedure) == 1
        assert StatisticsSnapshot.objects.get().computed_at == NOW


def test_no_snapshot_yet_the_first_page_computes_it(client, procedure, cert):
    with time_machine.travel(NOW, tick=False):
        filed(procedure)
        assert not StatisticsSnapshot.objects.exists()
        assert client.get(reverse("statistics")).status_code == 200
        assert StatisticsSnapshot.objects.get().computed_at == NOW
