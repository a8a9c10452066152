"""Figures on delays, shared by the public dashboard (`/statistiques/`) and each file's expected decision date.

Both read the same window (files decided in the last 30 days), measure the same delay (submission to decision,
in days) and summarise it the same way (`Delays.of`): the date promised on a récépissé is the median the
dashboard shows for that procedure and CERT.

Percentiles are computed in Python, from one query over the 30-day window. SQL has no portable percentile:
PostgreSQL has ``percentile_cont``, SQLite has none, so a SQL version would mean two code paths of which CI
tests one. The window bounds the rows (one per decided file, four columns), the dashboard is cached for a few
minutes, and ``statistics.quantiles(method="inclusive")`` interpolates exactly as PostgreSQL's ``percentile_cont``
does, so moving the aggregation into PostgreSQL later (or into a table refreshed by a periodic task) changes no
figure.
"""

import datetime
import statistics
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Count, Min
from django.utils import timezone

from titles.models import Application
from titles.registry import registry
from titles.workflow import DECIDED_STATUSES

WINDOW_DAYS = 30
# Below this many decided files, a median says nothing: the procedure's default delay is used instead.
MIN_SAMPLE = 5
CACHE_KEY = "titles:stats:dashboard"
CACHE_SECONDS = 300
UNROUTED = "Non orienté"
ALL_CERTS = "Ensemble des centres"


def decided_in_window(now):
    """Return the files decided in the WINDOW_DAYS before `now` (the sample of every delay figure)."""
    return Application.objects.filter(
        status__in=DECIDED_STATUSES,
        decided_at__gt=now - datetime.timedelta(days=WINDOW_DAYS),
        decided_at__lte=now,
        submitted_at__isnull=False,
    )


def days_between(start, end):
    return (end - start).total_seconds() / 86400


@dataclass(frozen=True)
class Delays:
    """How long decided files took: how many, the median and the 90th percentile in days (None if too few)."""

    count: int = 0
    median: float | None = None
    p90: float | None = None

    @classmethod
    def of(cls, delays):
        delays = list(delays)
        if len(delays) < MIN_SAMPLE:
            return cls(count=len(delays))
        # "inclusive": interpolate linearly between the closest ranks, as PostgreSQL's percentile_cont.
        deciles = statistics.quantiles(delays, n=10, method="inclusive")
        return cls(count=len(delays), median=statistics.median(delays), p90=deciles[-1])


def decision_delays_days(procedure_code, cert=None, *, now=None):
    """Return the delays (in days) between submission and decision of the files decided in the last 30 days."""
    rows = decided_in_window(now or timezone.now()).filter(procedure_code=procedure_code)
    if cert is not None:
        rows = rows.filter(cert=cert)
    return [days_between(submitted, decided) for submitted, decided in rows.values_list("submitted_at", "decided_at")]


def median_days_to_decision(procedure_code, cert=None, *, now=None):
    """Return the recent median delay in days, or None when too few files were decided to say."""
    return Delays.of(decision_delays_days(procedure_code, cert, now=now)).median


@dataclass
class Line:
    """One line of the dashboard: a procedure at a CERT, a whole procedure, or a whole CERT."""

    label: str
    cert_name: str = ""
    waiting: int = 0
    oldest_submitted_at: datetime.datetime | None = None
    now: datetime.datetime | None = None
    decided: Delays = field(default_factory=Delays)
    delays: list = field(default_factory=list, repr=False)

    def add_waiting(self, count, oldest):
        self.waiting += count
        if oldest is not None and (self.oldest_submitted_at is None or oldest < self.oldest_submitted_at):
            self.oldest_submitted_at = oldest

    @property
    def oldest_age_days(self):
        """Return how many whole days the oldest waiting file has waited, or None when nothing waits."""
        if self.oldest_submitted_at is None:
            return None
        return int(days_between(self.oldest_submitted_at, self.now))

    def summarise(self):
        """Replace the raw delays by their summary (what the page shows and the cache keeps)."""
        self.decided = Delays.of(self.delays)
        self.delays = []
        return self


@dataclass
class ProcedureFigures:
    code: str
    label: str
    title_label: str
    total: Line
    by_cert: list

    @property
    def rows(self):
        """Return the lines to show: one per CERT, plus the whole procedure when several CERTs instruct it."""
        if len(self.by_cert) > 1:
            return [*self.by_cert, self.total]
        return self.by_cert or [self.total]


@dataclass
class Dashboard:
    now: datetime.datetime
    procedures: list
    certs: list
    window_days: int = WINDOW_DAYS
    min_sample: int = MIN_SAMPLE
    refresh_minutes: int = CACHE_SECONDS // 60


def dashboard(now=None):
    """Return the public figures per procedure, per procedure and CERT, and per CERT, in two queries whatever
    the number of files: one aggregate over the waiting files, one read of the files decided in the window."""
    now = now or timezone.now()
    waiting = (
        Application.objects.pending()
        .filter(submitted_at__isnull=False)
        .values("procedure_code", "cert_id", "cert__name")
        .annotate(count=Count("pk"), oldest=Min("submitted_at"))
        .order_by()
    )
    decided = (
        decided_in_window(now)
        .values_list("procedure_code", "cert_id", "cert__name", "submitted_at", "decided_at")
        .order_by()
    )

    pairs, certs, procedures = {}, {}, {}

    def lines_for(code, cert_id, cert_name):
        cert_name = cert_name or UNROUTED
        return [
            pairs.setdefault((code, cert_id), Line(label=code, cert_name=cert_name, now=now)),
            certs.setdefault(cert_id, Line(label=cert_name, cert_name=cert_name, now=now)),
            procedures.setdefault(code, Line(label=code, cert_name=ALL_CERTS, now=now)),
        ]

    for row in waiting:
        for line in lines_for(row["procedure_code"], row["cert_id"], row["cert__name"]):
            line.add_waiting(row["count"], row["oldest"])
    for code, cert_id, cert_name, submitted_at, decided_at in decided:
        delay = days_between(submitted_at, decided_at)
        for line in lines_for(code, cert_id, cert_name):
            line.delays.append(delay)

    for table in (pairs, certs, procedures):
        for line in table.values():
            line.summarise()
    titles = [title.code for title in registry.titles()]
    known = sorted(
        registry.all(), key=lambda p: (titles.index(p.title) if p.title in titles else len(titles), p.order, p.label)
    )
    figures = [
        ProcedureFigures(
            p.code, p.label, registry.title_label(p.title), procedures.get(p.code) or Line(label=p.code, now=now), []
        )
        for p in known
    ]
    # A procedure no longer registered keeps its files: show them under their code.
    figures += [
        ProcedureFigures(code, code, "", line, []) for code, line in sorted(procedures.items()) if code not in registry
    ]
    by_code = {f.code: f for f in figures}
    for (code, _cert_id), line in pairs.items():
        by_code[code].by_cert.append(line)
    for figure in figures:
        figure.by_cert.sort(key=lambda line: line.cert_name)
    return Dashboard(now=now, procedures=figures, certs=sorted(certs.values(), key=lambda line: line.cert_name))


def cached_dashboard():
    """Return the dashboard computed at most CACHE_SECONDS ago (a public page must not read the window each hit)."""
    return cache.get_or_set(CACHE_KEY, dashboard, CACHE_SECONDS)
