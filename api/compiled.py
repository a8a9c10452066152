"""The file detail's fast path (`GET /api/v1/files/<reference>/`, the call an integration polls most): one query for
the file with what its summary reads, the timeline from a per-file cache, and the body written by hand rather
than by DRF's serializer machinery (about a third of the call's time). `FileDetailSerializer` stays the schema and
the reference: `tests/api/test_serializers.py` checks that both give the same body, for files in every state.

The timeline cache (`api-timeline:<file id>`) is dropped when an event of the file is written (`ApplicationEvent`
post_save, and again after its transaction commits), so a reader never waits for a new event longer than the
cache's round trip; its key also carries the file's `updated_at`, which every transition moves.
"""

import threading
from types import SimpleNamespace

from django.core.cache import cache
from django.db import connections, transaction
from django.db.models.query import get_related_populators
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone
from rest_framework import serializers

from titles.models import Application, ApplicationEvent, normalise_public_code
from titles.permissions import FILER
from titles.presentation import event_words, status_summary
from titles.registry import registry
from titles.services import missing_for_submission
from titles.workflow import Status

TIMELINE_TTL = 600  # seconds; the invalidation on new events is what keeps it right, the TTL only bounds memory
_DATETIME = serializers.DateTimeField()
_DATE = serializers.DateField()


def _datetime(value):
    return None if value is None else _DATETIME.to_representation(value)


def _text(value):
    return None if value is None else str(value)


def timeline_key(application):
    stamp = application.updated_at.timestamp() if application.updated_at else 0
    return f"api-timeline:{application.pk}:{stamp}"


def _timeline_prefix(application_id):
    return f"api-timeline:{application_id}:"


def timeline(application, procedure):
    """The file's public events, oldest first, as `EventSerializer` writes them; cached per file."""
    key = timeline_key(application)
    cached = cache.get(key)
    if cached is not None:
        return cached
    events = ApplicationEvent.objects.filter(application=application, public=True).select_related(
        "organisation").order_by("created_at", "pk")
    data = [{"kind": _text(event.kind), "label": event_words(event, procedure),
             "from_status": _text(event.from_status), "to_status": _text(event.to_status),
             "actor_role": _text(event.actor_role), "created_at": _datetime(event.created_at)} for event in events]
    cache.set(key, data, TIMELINE_TTL)
    cache.set(_current_key(application.pk), key, TIMELINE_TTL)
    return data


def _current_key(application_id):
    return f"{_timeline_prefix(application_id)}current"


def forget_timeline(application_id):
    """Drop the file's cached timeline (the key its last read used)."""
    current = cache.get(_current_key(application_id))
    if current:
        cache.delete_many([current, _current_key(application_id)])


@receiver(post_save, sender=ApplicationEvent, dispatch_uid="api.compiled.forget_timeline")
def _event_written(sender, instance, created, **kwargs):
    if instance.public:
        forget_timeline(instance.application_id)
        # A reader inside the window between this write and its commit may have cached the old timeline again.
        transaction.on_commit(lambda: forget_timeline(instance.application_id))


# The file's query, compiled once per thread: building Django's SQL for a select_related of four relations costs
# more than running it. Per request only its two parameters change (the reference, the organisation).
_SENTINEL_REFERENCE, _SENTINEL_ORGANISATION = "api-compiled-reference", -918273645
_prepared = threading.local()


def _prepared_query():
    prepared = getattr(_prepared, "query", None)
    if prepared is None:
        queryset = (
            Application.objects.filter(reference=_SENTINEL_REFERENCE, organisation_id=_SENTINEL_ORGANISATION)
            .select_related("applicant", "cert", "cession", "mandate")
            .order_by()[:1]  # the reference is unique: no ORDER BY
        )
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()  # also fills compiler.select and klass_info, as for any query
        klass_info = compiler.klass_info
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        prepared = _prepared.query = SimpleNamespace(
            db=queryset.db, compiler=compiler, sql=sql, params=list(params), start=start, end=end,
            where=(list(params).index(_SENTINEL_REFERENCE), list(params).index(_SENTINEL_ORGANISATION)),
            init_list=[column[0].target.attname for column in compiler.select[start:end]],
            populators=get_related_populators(klass_info, compiler.select, queryset.db),
        )
    return prepared


def _fetch_file(reference, organisation_id):
    """One file with its applicant, CERT, cession and mandate, as `select_related` gives them, or None."""
    query = _prepared_query()
    params = list(query.params)
    params[query.where[0]], params[query.where[1]] = reference, organisation_id
    with connections[query.db].cursor() as cursor:
        cursor.execute(query.sql, params)
        rows = cursor.fetchall()
    for row in query.compiler.results_iter([rows]):
        application = Application.from_db(query.db, query.init_list, row[query.start:query.end])
        for populator in query.populators:
            populator.populate(row, application)
        return application
    return None


def reachable_file(user, organisation, reference):
    """The organisation's file `reference` if the key's user reaches it as a filer, else None: the same rule as
    `ApiView.files()` (`titles.permissions.FILER`, narrowed to the key's organisation), checked on the row rather
    than compiled into the query (the `visible()` query costs more to build than to run)."""
    application = _fetch_file(normalise_public_code(reference), organisation.pk)
    if application is None or not FILER.check(application, user, timezone.now()):
        return None
    return application


def file_detail(application, *, events=None):
    """The body of `FileDetailSerializer(application, context={"events": ...}).data`, written by hand. `events`:
    the timeline as `timeline()` gives it (default: the cached timeline; `[]` for a body without it)."""
    procedure = registry.get(application.procedure_code) if application.procedure_code in registry else None
    summary = status_summary(application)
    draft = application.status == Status.DRAFT
    return {
        "reference": _text(application.reference),
        "procedure": _text(application.procedure_code),
        "procedure_label": _text(application.procedure_label),
        "status": application.status,
        "status_label": _text(application.get_status_display()),
        "applicant": application.applicant.get_full_name(),
        "mandate": application.mandate_id,
        "created_at": _datetime(application.created_at),
        "submitted_at": _datetime(application.submitted_at),
        "decided_at": _datetime(application.decided_at),
        "expected_decision_at": None if application.expected_decision_at is None
        else _DATE.to_representation(application.expected_decision_at),
        "summary": {"label": _text(summary.label), "detail": _text(summary.detail),
                    "waiting_for": _text(summary.waiting_for)},
        "steps": [{"slug": step.slug, "label": step.label} for step in procedure.steps],
        "missing": [str(problem) for problem in missing_for_submission(application)] if draft else [],
        "timeline": timeline(application, procedure) if events is None else events,
    }
