"""The file detail's fast path (`GET /api/v1/files/<reference>/`, the call an integration polls most): one query,
compiled once per thread, for the file with what its summary reads and its latest event; the timeline from a
per-file cache; the body written by hand rather than by DRF's serializer machinery. `FileDetailSerializer` stays
the schema and the reference: `tests/api/test_serializers.py` checks that both give the same body, for files
in every state.

The timeline cache is per process (the `local` cache: no round trip) and keyed by the file and the id of its
latest public event, read in the file's query: events are append-only, so a new event is a new key and a reader
never sees a stale timeline, in any process, with nothing to invalidate.
"""

from django.core.cache import caches
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from rest_framework import serializers

from core.compiled_query import CompiledQuery
from titles.models import Application, ApplicationEvent, normalise_public_code
from titles.permissions import FILER
from titles.presentation import event_words, status_summary
from titles.registry import registry
from titles.services import missing_for_submission
from titles.workflow import Status

TIMELINE_TTL = 600  # seconds; the key (the latest event) keeps it right, the TTL only bounds memory
_UNKNOWN = object()
_DATETIME = serializers.DateTimeField()
_DATE = serializers.DateField()


def _datetime(value):
    return None if value is None else _DATETIME.to_representation(value)


def _text(value):
    return None if value is None else str(value)


def _last_public_event():
    """The id of the file's latest public event: events are append-only, so it names the whole timeline."""
    return Subquery(ApplicationEvent.objects.filter(application=OuterRef("pk"), public=True).order_by("-pk")
                    .values("pk")[:1])


def timeline(application, procedure):
    """The file's public events, oldest first, as `EventSerializer` writes them; cached in the process under the
    id of its latest public event (read with the file, `_FILE`): a new event gives a new key."""
    last = getattr(application, "last_public_event", _UNKNOWN)
    if last is _UNKNOWN:
        last = Application.objects.filter(pk=application.pk).values_list(_last_public_event(), flat=True)[0]
    key = f"api-timeline:{application.pk}:{last}"
    local = caches["local"]
    cached = local.get(key)
    if cached is not None:
        return cached
    events = ApplicationEvent.objects.filter(application=application, public=True, pk__lte=last or 0).select_related(
        "organisation").order_by("created_at", "pk")
    data = [{"kind": _text(event.kind), "label": event_words(event, procedure),
             "from_status": _text(event.from_status), "to_status": _text(event.to_status),
             "actor_role": _text(event.actor_role), "created_at": _datetime(event.created_at)} for event in events]
    local.set(key, data, TIMELINE_TTL)
    return data


# The file's query, compiled once per thread: building Django's SQL for a select_related of four relations costs
# more than running it. Per request only its two parameters change (the reference, the organisation).
_FILE = CompiledQuery(
    lambda reference, organisation_id: (
        Application.objects.filter(reference=reference, organisation_id=organisation_id)
        .select_related("applicant", "cert", "cession", "mandate")
        .annotate(last_public_event=_last_public_event())
        .order_by()[:1]  # the reference is unique: no ORDER BY
    ),
    reference="api-compiled-reference", organisation_id=-918273645,
)


def reachable_file(user, organisation, reference):
    """The organisation's file `reference` if the key's user reaches it as a filer, else None: the same rule as
    `ApiView.files()` (`titles.permissions.FILER`, narrowed to the key's organisation), checked on the row rather
    than compiled into the query (the `visible()` query costs more to build than to run)."""
    application = _FILE.first(reference=normalise_public_code(reference), organisation_id=organisation.pk)
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
