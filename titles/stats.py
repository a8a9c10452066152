"""Figures on delays, shared by the public dashboard (`/statistiques/`) and each file's expected decision date.

Both read the same window (files decided in the last 30 days), measure the same delay (submission to decision,
in days) and summarise it the same way (`Delays.of`): the date promised on a récépissé is the median the
dashboard shows for that procedure and CERT.

Percentiles are computed in Python, from one query over the 30-day window. SQL has no portable percentile:
PostgreSQL has ``percentile_cont``, SQLite has none, so a SQL version would mean two code paths of which CI
tests one. The window bounds the rows (one per decided file, four columns), the dashboard is cached for a few
minutes, and ``statistics.quantiles(method="inclusive")`` interpolates exactly as PostgreSQL's ``percentile_cont``
does, so moving the aggregation into PostgreSQL later (or into a table refreshed by a periodic task) changes no
figure. The page reads the figures from a snapshot a periodic task refreshes every 5 minutes (`current_figures`).
"""

import datetime
import pickle
import statistics
import uuid
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Count, DurationField, ExpressionWrapper, Min, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, TruncDate, TruncMonth
from django.utils import timezone

from titles.models import Application, ApplicationEvent, StatisticsSnapshot
from titles.registry import registry
from titles.workflow import DECIDED_STATUSES, Status

WINDOW_DAYS = 30
# Below this many decided files, a median says nothing: the procedure's default delay is used instead.
MIN_SAMPLE = 5
CACHE_KEY = "titles:stats:dashboard"
VERSION_KEY = "titles:stats:version"  # (computed_at, the dashboard's key) of the figures under CACHE_KEY
# How often titles.tasks.refresh_statistics recomputes the figures (CELERY_BEAT_SCHEDULE reads it too).
SNAPSHOT_SECONDS = 300
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

    def rows_for(self, centre=None):
        """Return the lines the page shows: the whole procedure (its one CERT's line when only one instructs it);
        with a `centre` (a CERT's name), that CERT's line then the whole. The page stays the same size whatever
        the number of files and CERTs."""
        if centre is None or len(self.by_cert) <= 1:
            return self.by_cert if len(self.by_cert) == 1 else [self.total]
        return [*(line for line in self.by_cert if line.cert_name == centre), self.total]


@dataclass
class Dashboard:
    now: datetime.datetime
    procedures: list
    certs: list
    window_days: int = WINDOW_DAYS
    min_sample: int = MIN_SAMPLE
    refresh_minutes: int = SNAPSHOT_SECONDS // 60
    # Names this computation: the page's rendered tables are cached under it.
    key: str = field(default_factory=lambda: uuid.uuid4().hex)


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


# --- History: the backlog week by week and the median delay month by month (`/statistiques/`'s charts) ---------
#
# Two aggregate queries whatever the number of files. The backlog counts, for each of HISTORY_WEEKS instants a week
# apart, the files filed and not yet out of the queue (decided, or withdrawn: the time of its event) — one
# conditional count per instant, grouped by procedure and CERT. The delays read a histogram: decided files grouped by
# procedure, CERT, month of decision and whole days from filing to decision, so the rows are bounded by the range of
# delays, not by the number of files, and the median is computed exactly from the counts.

HISTORY_WEEKS = 12
HISTORY_MONTHS = 12


@dataclass
class Series:
    """One line of a chart: a CERT (or all of them) for one procedure (or all of them); `values` follow the points,
    None where there is nothing to say (too few decisions that month)."""

    label: str
    values: list


@dataclass
class History:
    now: datetime.datetime
    weeks: list  # the instants at which the backlog is counted, oldest first
    months: list  # the first day of each month of decisions, oldest first
    backlog: dict  # (procedure code or None, cert name or None) -> [waiting files at each of `weeks`]
    delays: dict  # (procedure code or None, cert name or None) -> [{whole days: decided files} for each month]
    min_sample: int = MIN_SAMPLE

    def cert_names(self, code=None):
        return sorted({cert for (c, cert) in self.backlog | self.delays if c == code and cert is not None})

    def backlog_series(self, code=None, centre=None):
        """Return the backlog of one procedure (or all): the whole, and one CERT's (`centre`) beside it."""
        return self._series(self.backlog, code, lambda counts: counts, centre)

    def delay_series(self, code=None, centre=None):
        """Return the monthly median delay of one procedure (or all): the whole, and one CERT's beside it."""
        return self._series(self.delays, code, lambda months: [median_of_counts(m, self.min_sample) for m in months],
                            centre)

    def _series(self, table, code, values, centre=None):
        """The whole (the one CERT's line when only one instructs the procedure), and `centre`'s before it: a
        chart of every CERT would draw 50 lines, and grow with the number of CERTs having data."""
        names = self.cert_names(code)
        if len(names) <= 1:
            return [Series(name, values(table[(code, name)])) for name in names if (code, name) in table]
        series = [Series(centre, values(table[(code, centre)]))] if centre in names and (code, centre) in table else []
        if (code, None) in table:
            series.append(Series(ALL_CERTS, values(table[(code, None)])))
        return series


def median_of_counts(counts, min_sample=MIN_SAMPLE):
    """Return the median of values given as {value: how many}, as statistics.median would of the expanded list;
    None below `min_sample` values."""
    total = sum(counts.values())
    if total < min_sample:
        return None
    middle = [(total - 1) // 2, total // 2]  # the ranks of the one or two middle values
    found, seen = [], 0
    for value in sorted(counts):
        seen += counts[value]
        while middle and middle[0] < seen:
            middle.pop(0)
            found.append(value)
    return sum(found) / 2


def month_starts(now, count):
    """Return the first instants of the `count` months ending with the current one (local time), oldest first."""
    current = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    starts = []
    year, month = current.year, current.month
    for _ in range(count):
        starts.append(current.replace(year=year, month=month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


def history(now=None):
    """Return the backlog at each of the last HISTORY_WEEKS weeks and the monthly delay histograms of the last
    HISTORY_MONTHS months, per procedure and CERT, per procedure, per CERT and overall — in two queries."""
    now = now or timezone.now()
    weeks = [now - datetime.timedelta(weeks=back) for back in range(HISTORY_WEEKS - 1, -1, -1)]
    months = month_starts(now, HISTORY_MONTHS)

    withdrawn_at = Subquery(
        ApplicationEvent.objects.filter(application=OuterRef("pk"), to_status=Status.WITHDRAWN)
        .order_by("created_at")
        .values("created_at")[:1]
    )
    def waiting_at(at):
        return Count("pk", filter=Q(submitted_at__lte=at) & (Q(left_at__isnull=True) | Q(left_at__gt=at)))

    backlog_rows = (
        Application.objects.filter(submitted_at__isnull=False, submitted_at__lte=now)
        .annotate(left_at=Coalesce("decided_at", withdrawn_at))
        .filter(Q(left_at__isnull=True) | Q(left_at__gt=weeks[0]))
        .values("procedure_code", "cert__name")
        .annotate(**{f"week_{index}": waiting_at(at) for index, at in enumerate(weeks)})
        .order_by()
    )
    delay_rows = (
        Application.objects.filter(
            status__in=DECIDED_STATUSES, submitted_at__isnull=False, decided_at__gte=months[0], decided_at__lte=now
        )
        .annotate(
            month=TruncMonth("decided_at"),
            # Whole days from the day of filing to the day of decision (local dates): the same on every database.
            days=ExpressionWrapper(TruncDate("decided_at") - TruncDate("submitted_at"), output_field=DurationField()),
        )
        .values("procedure_code", "cert__name", "month", "days")
        .annotate(count=Count("pk"))
        .order_by()
    )

    def keys(code, cert_name):
        cert_name = cert_name or UNROUTED
        return [(code, cert_name), (code, None), (None, cert_name), (None, None)]

    backlog = {}
    for row in backlog_rows:
        counts = [row[f"week_{index}"] for index in range(len(weeks))]
        for key in keys(row["procedure_code"], row["cert__name"]):
            line = backlog.setdefault(key, [0] * len(weeks))
            for index, count in enumerate(counts):
                line[index] += count
    month_index = {(start.year, start.month): index for index, start in enumerate(months)}
    delays = {}
    for row in delay_rows:
        month = timezone.localtime(row["month"]) if timezone.is_aware(row["month"]) else row["month"]
        index = month_index.get((month.year, month.month))
        if index is None:
            continue
        days = row["days"].days
        for key in keys(row["procedure_code"], row["cert__name"]):
            histogram = delays.setdefault(key, [{} for _ in months])[index]
            histogram[days] = histogram.get(days, 0) + row["count"]
    return History(now=now, weeks=weeks, months=months, backlog=backlog, delays=delays)


# --- The snapshot: the figures computed every 5 minutes by Celery beat, read by the page ---------------------------
#
# At a million files the two aggregates above take seconds: no request should pay them. The periodic task
# `titles.tasks.refresh_statistics` (CELERY_BEAT_SCHEDULE, every SNAPSHOT_SECONDS) stores them in one row; the page
# reads that row (kept a minute in each process's cache). Should beat stop, a page that finds the row older than
# SNAPSHOT_STALE computes it again itself, one process at a time (the others serve the stale row meanwhile).

SNAPSHOT_NAME = "statistiques"
SNAPSHOT_STALE = datetime.timedelta(minutes=15)
READ_CACHE_SECONDS = 60
REFRESH_LOCK_KEY = "titles:stats:refreshing"


def refresh_snapshot(now=None):
    """Compute the dashboard and the history, store them as the snapshot, and return them."""
    now = now or timezone.now()
    figures = (dashboard(now), history(now))
    StatisticsSnapshot.objects.update_or_create(
        name=SNAPSHOT_NAME, defaults={"computed_at": now, "data": pickle.dumps(figures)}
    )
    _keep(now, figures)
    cache.delete(REFRESH_LOCK_KEY)
    return figures


# The figures this process read last, unpickled, by their dashboard's key (each computation has its own): the shared
# cache says which snapshot is current in a few bytes (VERSION_KEY), so a page unpickles the snapshot (hundreds of
# kilobytes at national scale) once per process and computation, not on every request.
_read = {}


def _keep(computed_at, figures):
    cache.set_many({CACHE_KEY: (computed_at, figures), VERSION_KEY: (computed_at, figures[0].key)},
                   READ_CACHE_SECONDS)
    _read.clear()
    _read[figures[0].key] = figures


def current_figures(now=None):
    """Return (dashboard, history) from the snapshot, computing it here when it is missing or older than
    SNAPSHOT_STALE."""
    now = now or timezone.now()
    version = cache.get(VERSION_KEY)
    if version is not None and now - version[0] <= SNAPSHOT_STALE:
        figures = _read.get(version[1])
        if figures is not None:
            return figures
        cached = cache.get(CACHE_KEY)
        if cached is not None and cached[1][0].key == version[1]:
            _read.clear()
            _read[version[1]] = cached[1]
            return cached[1]
    row = StatisticsSnapshot.objects.filter(name=SNAPSHOT_NAME).first()
    if row is not None and now - row.computed_at <= SNAPSHOT_STALE:
        figures = pickle.loads(row.data)  # noqa: S301 (written by the portal's own task only)
        _keep(row.computed_at, figures)
        return figures
    if row is not None and not cache.add(REFRESH_LOCK_KEY, True, 120):
        return pickle.loads(row.data)  # noqa: S301 (another process is computing it: serve the stale figures)
    return refresh_snapshot(now)
