"""Figures on delays, shared by the public dashboard and each file's expected decision date."""

import datetime
import statistics

from django.utils import timezone

from titles.models import Application
from titles.workflow import DECIDED_STATUSES

WINDOW_DAYS = 30
MIN_SAMPLE = 5


def decision_delays_days(procedure_code, cert=None, *, now=None):
    """Return the delays (in days) between submission and decision of the files decided in the last 30 days."""
    now = now or timezone.now()
    rows = Application.objects.filter(
        procedure_code=procedure_code,
        status__in=DECIDED_STATUSES,
        decided_at__gte=now - datetime.timedelta(days=WINDOW_DAYS),
        submitted_at__isnull=False,
    )
    if cert is not None:
        rows = rows.filter(cert=cert)
    return [(decided - submitted).total_seconds() / 86400 for submitted, decided in rows.values_list(
        "submitted_at", "decided_at")]


def median_days_to_decision(procedure_code, cert=None):
    """Return the recent median delay in days, or None when too few files were decided to say."""
    delays = decision_delays_days(procedure_code, cert)
    return statistics.median(delays) if len(delays) >= MIN_SAMPLE else None
