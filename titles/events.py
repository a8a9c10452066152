from journal import services as journal
from journal.enums import FILE_PREFIX
from titles.models import ApplicationEvent
from titles.presentation import event_words
from titles.registry import registry
from titles.workflow import Actor

# What apps above the engine do on every status change, inside its transaction (e.g. the API's webhooks write their
# outbox rows): `f(event)` registered at start-up from the app's `AppConfig.ready()`. The engine does not import them.
status_change_listeners = []


def record_event(
    application, kind, *, actor, role="", from_status="", to_status="", payload=None, public=True, organisation=None
):
    """Append one event to the audit trail, and to the journal when someone acted for the applicant; the caller is
    inside the business action's transaction."""
    event = ApplicationEvent.objects.create(
        application=application,
        kind=kind,
        actor=actor,
        actor_role=role,
        acting_for=application.applicant if actor is not None and actor.pk != application.applicant_id else None,
        organisation=organisation or _organisation_for(application, role),
        from_status=from_status,
        to_status=to_status,
        payload=payload or {},
        public=public,
    )
    if event.acting_for_id is not None:  # an act done for the applicant: it is theirs to read in the journal
        procedure = registry.get(application.procedure_code) if application.procedure_code in registry else None
        journal.record(
            FILE_PREFIX + kind,
            actor=actor,
            acting_for=event.acting_for,
            organisation=event.organisation,
            role=role,
            subject=application.reference,
            payload={"event_id": event.pk, "label": event_words(event, procedure)},
            public=public,
        )
    return event


def _organisation_for(application, role):
    """Return the organisation in whose name an actor of this capacity acts (named on the timeline)."""
    if role == Actor.FILER:
        return application.organisation
    if role == Actor.AGENT:
        return application.cert
    return None
