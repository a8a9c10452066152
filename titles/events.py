from titles.models import ApplicationEvent
from titles.workflow import Actor


def record_event(
    application, kind, *, actor, role="", from_status="", to_status="", payload=None, public=True, organisation=None
):
    """Append one event to the audit trail; the caller is inside the business action's transaction."""
    return ApplicationEvent.objects.create(
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


def _organisation_for(application, role):
    """Return the organisation in whose name an actor of this capacity acts (named on the timeline)."""
    if role == Actor.FILER:
        return application.organisation
    if role == Actor.AGENT:
        return application.cert
    return None
