from titles.models import ApplicationEvent
from titles.workflow import Actor


def record_event(application, kind, *, actor, role="", from_status="", to_status="", payload=None, public=True):
    """Append one event to the audit trail; the caller is inside the business action's transaction."""
    return ApplicationEvent.objects.create(
        application=application,
        kind=kind,
        actor=actor,
        actor_role=role,
        acting_for=application.applicant if actor is not None and actor.pk != application.applicant_id else None,
        organisation=application.organisation
        if role == Actor.FILER
        else (application.cert if role == Actor.AGENT else None),
        from_status=from_status,
        to_status=to_status,
        payload=payload or {},
        public=public,
    )
