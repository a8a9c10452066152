"""What the engine's transitions do, one function per effect, named by the transition table (`titles/workflow.py`).

Each effect is `def name(ctx)` taking the transition's `Context`. The table's `effects` change the application
row (they add the fields they touch to `ctx.fields`, which the engine saves with `update_fields`); its
`consequences` run after the event, the procedure's register writes and its hook. What a procedure adds (its
register writes and their undo, its `on_<transition>` hook) is declared on the `Procedure`
(`titles/procedures.py`); `titles.services._apply_transition` runs the whole, in this order:
lock and check, effects, save, event, register writes, hook, undos (on a way out), consequences, e-mail.
"""

import datetime
import logging
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from core.formats import euros
from notifications.outbox import run_after_commit
from titles.enums import DOCUMENTS_STEP, PAYMENT_STEP, PaymentMethod, PaymentStatus
from titles.models import Application, ApplicationEvent, GeneratedDocument, RoutingRule
from titles.pdf import template_version
from titles.procedures import Missing
from titles.stats import median_days_to_decision
from titles.workflow import InvalidTransition, Status

logger = logging.getLogger(__name__)


@dataclass
class TransitionOutcome:
    """What `apply_transition` returns: the file as saved, its event, the documents queued, and `facts` — what a
    procedure's writes established for the caller (e.g. `cession` and its plain `code_de_cession`, never stored)."""

    application: Application
    transition: object
    event: ApplicationEvent | None = None
    documents: list = field(default_factory=list)
    facts: dict = field(default_factory=dict)
    # The names of the register writes undone by this transition (a way out), in the order they were undone.
    undone: list = field(default_factory=list)


@dataclass
class Context:
    """One transition in progress: what every effect, register write, undo and hook receives."""

    application: Application
    procedure: object
    transition: object
    actor: object
    role: str
    reason: str
    previous: str
    now: datetime.datetime
    outcome: TransitionOutcome
    # The fields of the application row the effects changed (saved once, with update_fields).
    fields: list = field(default_factory=lambda: ["status", "updated_at", "status_note"])

    def touch(self, *names):
        self.fields.extend(name for name in names if name not in self.fields)


# Helpers the effects share (also reached as titles.services.<name> by views and tests) --------------------------


def is_paid(application):
    paid = sum(p.amount_cents for p in application.payments.all() if p.status == PaymentStatus.PAID)
    return paid >= application.procedure.fee_total(application)


PAYMENT_MISSING = {
    PaymentMethod.TIMBRE: "Le timbre fiscal n'est pas encore payé.",
    PaymentMethod.CARD: "Les taxes ne sont pas encore payées : le paiement par carte bancaire se fait à la dernière "
    "étape, « Paiement et dépôt », qui dépose aussi la demande.",
}


def missing_for_submission(application):
    """Return what prevents submitting, as `Missing` items (French message + the step that fixes it), in the order
    of the wizard's steps; empty when the file is complete."""
    procedure = application.procedure
    problems = []
    for step in procedure.steps:
        form = procedure.stored_step_form(step, application)
        if not form.is_bound or not form.is_valid():
            problems.append(Missing(f"L'étape « {step.label} » n'est pas complète.", step=step.slug))
    given = set(application.documents.filter(message__isnull=True).values_list("kind", flat=True))
    for document in procedure.documents_for(application):
        if document.required and document.kind not in given:
            problems.append(Missing(f"Il manque la pièce « {document.label} ».", step=DOCUMENTS_STEP))
    if procedure.fee_total(application) and not is_paid(application):
        problems.append(Missing(PAYMENT_MISSING[procedure.payment], step=PAYMENT_STEP))
    problems.extend(
        problem if isinstance(problem, Missing) else Missing(problem)
        for problem in procedure.validate_submission(application)
    )
    return problems


def route(application, procedure):
    """Return the CERT for this application: procedure rule for the département, title rule for the département,
    then the title's fallback."""
    departement = procedure.departement(application)
    rules = (
        RoutingRule.objects.filter(title=application.title)
        .filter(Q(procedure_code=procedure.code) | Q(procedure_code=""))
        .filter(Q(departement=departement) | Q(departement=""))
        .select_related("cert")
    )

    def rank(rule):
        return (rule.procedure_code == "", rule.departement == "")

    best = min(rules, key=rank, default=None)
    return best.cert if best else None


def expected_decision_date(application, procedure):
    """Return the date a decision can be expected, from the CERT's recent median delay (issue 6) or the default."""
    days = median_days_to_decision(procedure.code, application.cert) or procedure.expected_days
    return timezone.localdate() + datetime.timedelta(days=round(days))


def document_facts(application, procedure):
    """What a PDF states about its file, as JSON, taken when the document is issued.

    A receipt states the file as it was filed, whenever a worker renders it (after a broker outage, hours later);
    and the worker need not load the file, its applicant and its CERT again (measured: about a quarter of the
    task's own cost, the rendering aside). The task turns the dates back into dates.
    """
    return {
        "reference": application.reference,
        "procedure_label": procedure.label,
        "applicant_name": application.applicant.get_full_name(),
        "filed_by": application.organisation.name if application.organisation_id else "",
        "submitted_at": application.submitted_at.isoformat() if application.submitted_at else None,
        "cert_name": application.cert.name if application.cert_id else "",
        "expected_decision_date": (
            application.expected_decision_at.isoformat() if application.expected_decision_at else None
        ),
        "lines": [[str(label), str(value)] for label, value in procedure.summary_lines(application)]
        + [["Paiement", f"{euros(p.amount_cents)}, {p.means}"]
           for p in application.payments.all() if p.method == PaymentMethod.CARD and p.status == PaymentStatus.PAID],
    }


def queue_document(application, output, *, procedure, context=None):
    """Write the PDF's outbox row (idempotent per kind), with the facts it prints, and render it after commit.

    `context` adds to the procedure's `output_context` what only the caller knows (e.g. a `secret_` code held in a
    transition's outcome, printed once and never stored)."""
    issued_at = timezone.now()
    document, created = GeneratedDocument.objects.get_or_create(
        application=application,
        kind=output.kind,
        defaults={
            "label": output.label,
            "template_name": output.template_name,
            "template_version": template_version(output.template_name),
            "issued_at": issued_at,
            "valid_until": procedure.valid_until(application, output, issued_at),
            "context": {
                **document_facts(application, procedure),
                **procedure.output_context(application, output),
                **(context or {}),
            },
        },
    )
    if created:
        run_after_commit("titles.tasks.render_document", document.pk)
    return document


def refund(application):
    """Mark the timbres of an application withdrawn before instruction as refunded (the issuer refunds them)."""
    for payment in application.payments.filter(method=PaymentMethod.TIMBRE, status=PaymentStatus.PAID):
        payment.status = PaymentStatus.REFUNDED
        payment.refunded_at = timezone.now()
        payment.save(update_fields=["status", "refunded_at"])


# Effects on the row (the table's `effects`) -----------------------------------------------------------------------


def check_complete(ctx):
    """Refuse to submit a file with a step, a document, the payment or a procedure's own check missing."""
    problems = missing_for_submission(ctx.application)
    if problems:
        raise InvalidTransition("incomplete", " ".join(problems))


def stamp_submission(ctx):
    """Date the filing, route it to its CERT, fix the fee paid and the date a decision can be expected."""
    application, procedure = ctx.application, ctx.procedure
    application.submitted_at = ctx.now
    application.cert = route(application, procedure)
    if application.cert is None:
        logger.error("No CERT routes %s for département %r", procedure.code, procedure.departement(application))
        raise InvalidTransition(
            "routing",
            "Aucun centre d'instruction ne traite encore cette démarche pour votre département. Votre brouillon "
            "est conservé ; réessayez plus tard ou contactez-nous depuis la page d'aide.",
        )
    application.fee_cents = procedure.fee_total(application)
    application.expected_decision_at = expected_decision_date(application, procedure)
    ctx.touch("submitted_at", "cert", "fee_cents", "expected_decision_at")


def assign_agent(ctx):
    """The agent who takes the file instructs it."""
    ctx.application.assigned_to = ctx.actor
    ctx.touch("assigned_to")


def note_request(ctx):
    """Show the agent's request on the file until the citizen answers."""
    ctx.application.status_note = ctx.reason


def record_decision(ctx):
    """Date the decision (accept, reject, or the portal's closure) and keep its reason."""
    ctx.application.decided_at = ctx.now
    ctx.application.decision_reason = ctx.reason
    ctx.touch("decided_at", "decision_reason")


# Consequences (the table's `consequences`) --------------------------------------------------------------------------


def queue_outputs(ctx):
    """Queue the PDFs the procedure produces at this transition (`Procedure.outputs[transition name]`)."""
    for output in ctx.procedure.outputs.get(ctx.transition.name, ()):
        ctx.outcome.documents.append(queue_document(ctx.application, output, procedure=ctx.procedure))


def refund_timbres(ctx):
    """A file withdrawn before any instruction gets its timbres refunded; once the CERT has worked on it, not."""
    if ctx.previous == Status.SUBMITTED:
        refund(ctx.application)


def refund_card_payments(ctx):
    """A carte grise that is not registered owes no tax: on every way out (withdrawn, refused, closed) the file's
    card payments are refunded on the card. Marked `refund_pending` here, in the transition's transaction; the
    provider is asked after commit by `titles.tasks.refund_card_payment`, and `requeue_card_refunds` asks again
    for what a broker outage left pending (an outbox, as for e-mails)."""
    for payment in ctx.application.payments.filter(method=PaymentMethod.CARD, status=PaymentStatus.PAID):
        payment.status = PaymentStatus.REFUND_PENDING
        payment.save(update_fields=["status"])
        run_after_commit("titles.tasks.refund_card_payment", payment.pk)


def revoke_documents(ctx):
    """The inverse of `queue_outputs` on a way out: the file's documents that prove a right for a time (a CPI, an
    attestation, a récapitulatif de pré-demande) stop being valid; a receipt (no validity) stays what it was."""
    ctx.application.generated_documents.filter(valid_until__isnull=False, revoked_at__isnull=True).update(
        revoked_at=ctx.now
    )


EFFECTS = {
    effect.__name__: effect
    for effect in (
        check_complete,
        stamp_submission,
        assign_agent,
        note_request,
        record_decision,
        queue_outputs,
        refund_timbres,
        refund_card_payments,
        revoke_documents,
    )
}
