"""The life of an application, as data: which transition goes from which states to which, and who may make it.

Title apps add guards through their Procedure (``Procedure.guard``); they never bypass this table.
`titles.services.apply_transition` is the only code that writes ``Application.status``.
"""

from dataclasses import dataclass

from django.db import models

from core.exceptions import Refused


class Status(models.TextChoices):
    DRAFT = "draft", "Brouillon"
    SUBMITTED = "submitted", "Déposé"
    IN_REVIEW = "in_review", "En cours d'instruction"
    NEEDS_INFO = "needs_info", "En attente de compléments"
    ACCEPTED = "accepted", "Accepté"
    PRODUCED = "produced", "Titre fabriqué"
    SENT = "sent", "Titre expédié"
    DELIVERED = "delivered", "Titre remis"
    REJECTED = "rejected", "Refusé"
    WITHDRAWN = "withdrawn", "Retiré"


FINAL_STATUSES = frozenset({Status.DELIVERED, Status.REJECTED, Status.WITHDRAWN})
DECIDED_STATUSES = frozenset({Status.ACCEPTED, Status.PRODUCED, Status.SENT, Status.DELIVERED, Status.REJECTED})
# Filed and waiting for a decision: what the CERT queue and the statistics count.
PENDING_STATUSES = frozenset({Status.SUBMITTED, Status.IN_REVIEW, Status.NEEDS_INFO})


class Actor(models.TextChoices):
    """The capacity in which someone acts on an application."""

    APPLICANT = "applicant", "le demandeur"
    FILER = "filer", "le professionnel mandaté"
    MEDIATEUR = "mediateur", "le médiateur numérique"
    AGENT = "agent", "l'agent instructeur"
    MAIRIE = "mairie", "l'agent de mairie"
    SYSTEM = "system", "le portail"


APPLICANT_SIDE = frozenset({Actor.APPLICANT, Actor.FILER, Actor.MEDIATEUR})


@dataclass(frozen=True)
class Transition:
    """One move of the table.

    `effects` name the functions of `titles/effects.py` that change the application row (run in order, before the
    row is saved and the event written); `consequences` name those that run after the event, the procedure's
    register writes and its hook (documents to queue, timbres to refund, documents to revoke): they need the
    register as the procedure left it. `way_out` marks the ends that abandon a file — withdraw, reject, and close
    (the portal's expiry of a file: a pré-demande never deposited, a permis international whose paper part never
    came) —: on a way out the engine runs the undo of every register write the file made.
    """

    name: str
    label: str
    sources: frozenset
    target: str
    actors: frozenset
    # Whether the actor must give a reason (shown to the citizen).
    needs_reason: bool = False
    effects: tuple[str, ...] = ()
    consequences: tuple[str, ...] = ()
    way_out: bool = False


TRANSITIONS = {
    t.name: t
    for t in [
        Transition(
            "submit",
            "Déposer la demande",
            frozenset({Status.DRAFT}),
            Status.SUBMITTED,
            APPLICANT_SIDE,
            effects=("check_complete", "stamp_submission"),
            consequences=("queue_outputs",),
        ),
        Transition(
            "take",
            "Prendre en charge",
            frozenset({Status.SUBMITTED}),
            Status.IN_REVIEW,
            frozenset({Actor.AGENT}),
            effects=("assign_agent",),
        ),
        Transition(
            "request_info",
            "Demander un complément",
            frozenset({Status.IN_REVIEW}),
            Status.NEEDS_INFO,
            frozenset({Actor.AGENT}),
            needs_reason=True,
            effects=("note_request",),
        ),
        Transition("answer", "Envoyer ma réponse", frozenset({Status.NEEDS_INFO}), Status.IN_REVIEW, APPLICANT_SIDE),
        Transition(
            "accept",
            "Accepter",
            frozenset({Status.IN_REVIEW}),
            Status.ACCEPTED,
            frozenset({Actor.AGENT}),
            effects=("record_decision",),
            consequences=("queue_outputs",),
        ),
        Transition(
            "reject",
            "Refuser",
            frozenset({Status.IN_REVIEW}),
            Status.REJECTED,
            frozenset({Actor.AGENT}),
            needs_reason=True,
            effects=("record_decision",),
            consequences=("refund_card_payments", "revoke_documents"),
            way_out=True,
        ),
        Transition(
            "produce",
            "Titre fabriqué",
            frozenset({Status.ACCEPTED}),
            Status.PRODUCED,
            frozenset({Actor.AGENT, Actor.SYSTEM}),
        ),
        Transition(
            "send", "Titre expédié", frozenset({Status.PRODUCED}), Status.SENT, frozenset({Actor.AGENT, Actor.SYSTEM})
        ),
        Transition(
            "deliver",
            "Titre remis",
            frozenset({Status.SENT}),
            Status.DELIVERED,
            frozenset({Actor.AGENT, Actor.SYSTEM}),
        ),
        # A document issued at once (`Procedure.completed_on_submit`): the portal delivers it right after the
        # submission, in the same transaction; no CERT decision, no queue.
        Transition(
            "issue",
            "Document délivré",
            frozenset({Status.SUBMITTED}),
            Status.DELIVERED,
            frozenset({Actor.SYSTEM}),
            effects=("record_decision",),
            consequences=("queue_outputs",),
        ),
        Transition(
            "withdraw",
            "Retirer ma demande",
            frozenset({Status.SUBMITTED, Status.IN_REVIEW, Status.NEEDS_INFO}),
            Status.WITHDRAWN,
            frozenset({Actor.APPLICANT}),
            consequences=("refund_timbres", "refund_card_payments", "revoke_documents"),
            way_out=True,
        ),
        # A file left without the answer or the paper part the law requires is closed by the portal.
        Transition(
            "close",
            "Clore le dossier",
            frozenset({Status.SUBMITTED, Status.NEEDS_INFO}),
            Status.REJECTED,
            frozenset({Actor.SYSTEM}),
            needs_reason=True,
            effects=("record_decision",),
            consequences=("refund_card_payments", "revoke_documents"),
            way_out=True,
        ),
    ]
}


class InvalidTransition(Refused):
    """A transition that the table, the actor's rights or a procedure guard refuses; `reason` says which, in French."""


def check_transition(application, name, actors):
    """Return the Transition, or raise InvalidTransition naming why it is refused."""
    transition = TRANSITIONS.get(name)
    if transition is None:
        raise InvalidTransition("unknown", "Cette action n'existe pas.")
    if application.status not in transition.sources:
        raise InvalidTransition(
            "state", f"Cette action n'est pas possible pour un dossier « {application.get_status_display()} »."
        )
    if not (set(actors) & transition.actors):
        raise InvalidTransition("actor", "Vous n'avez pas le droit de faire cette action sur ce dossier.")
    return transition


def available_transitions(application, actors):
    """Return the transitions the given actor capacities may make now (for templates and the API)."""
    return [
        t
        for t in TRANSITIONS.values()
        if application.status in t.sources and set(actors) & t.actors and t.name not in ("close", "issue")
    ]


def reachable_from(status):
    """Return the statuses a file in `status` may still reach through the table, `status` included."""
    seen = {status}
    todo = [status]
    while todo:
        current = todo.pop()
        for transition in TRANSITIONS.values():
            if current in transition.sources and transition.target not in seen:
                seen.add(transition.target)
                todo.append(transition.target)
    return seen
