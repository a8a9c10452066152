"""The write path of the journal: one entry per sensitive act, written by the service that does the act."""

from journal.models import Entry


def record(action, *, actor, acting_for=None, organisation=None, role="", subject="", payload=None, public=True):
    """Append one entry to the journal; call it inside the act's own transaction, from its service.

    `actor` is who acted (None: the portal itself), `acting_for` the person the act concerns (for whom it was done,
    or whose mandate or session it is), `organisation` the one in whose name the actor acted, `subject` a short
    reference ("mandat 12", a file's reference). An entry with `public=False` is for the administrators only.
    """
    return Entry.objects.create(
        action=str(action),
        actor=actor,
        actor_role=str(role or ""),
        acting_for=acting_for,
        organisation=organisation,
        subject=str(subject or "")[:100],
        payload=payload or {},
        public=public,
    )
