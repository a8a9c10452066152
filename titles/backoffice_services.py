"""The CERT back office's own reads and writes, on top of the engine: who is an agent of which CERT, the files
an agent may work on, private annotations, and actions on several files at once (one transition per file)."""

from django.db import transaction

from titles.events import record_event
from titles.models import Annotation, Application
from titles.permissions import AGENT, CERT_AGENTS
from titles.services import actor_roles, apply_transition
from titles.workflow import Actor, InvalidTransition


def agent_certs(user):
    """Return the active CERTs of which `user` is an active agent, by name (empty for anyone else)."""
    return list(CERT_AGENTS.organisations(user))


def files_for_agent(user, certs):
    """Return the files routed to `certs` that `user` may see as an agent (`titles.permissions.AGENT`: filed, not
    their own: nobody instructs their own file)."""
    return Application.objects.filter(AGENT.queryset(user)).filter(cert__in=certs)


@transaction.atomic(durable=True)
def add_annotation(application, *, author, body):
    """Add a private note of an agent to a file, with its event (never shown to the citizen or the filer)."""
    if Actor.AGENT not in actor_roles(application, author):
        raise InvalidTransition("actor", "Seul un agent du CERT instructeur peut annoter ce dossier.")
    annotation = Annotation.objects.create(application=application, author=author, body=body)
    record_event(
        application,
        "annotation",
        actor=author,
        role=Actor.AGENT,
        payload={"annotation_id": annotation.pk},
        public=False,
    )
    return annotation


def apply_to_each(applications, name, *, actor, reason="", payload=None):
    """Make the same transition on each file through `apply_transition`: one transaction and one event per file,
    so that a file refused does not undo the others. Return (done, refused), refused as (application, reason)."""
    done, refused = [], []
    for application in applications:
        try:
            done.append(apply_transition(application, name, actor=actor, reason=reason, payload=payload).application)
        except InvalidTransition as error:
            refused.append((application, error.reason))
    return done, refused
