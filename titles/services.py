"""The write path of the engine. Every state change goes through `apply_transition`."""

import datetime
import logging
import secrets

from django.contrib.auth.hashers import check_password, make_password
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.enums import Role
from titles import notifications
from titles.enums import PaymentStatus
from titles.events import record_event
from titles.models import (
    Application,
    AssistedSession,
    GeneratedDocument,
    Mandate,
    Message,
    Payment,
    RoutingRule,
    UploadedDocument,
)
from titles.outbox import queue_email, run_after_commit
from titles.pdf import template_version
from titles.registry import registry
from titles.stats import median_days_to_decision
from titles.workflow import FINAL_STATUSES, Actor, InvalidTransition, Status, check_transition

logger = logging.getLogger(__name__)


def actor_roles(application, user):
    """Return the capacities in which `user` may act on `application` (empty if none).

    This is the per-file answer to "may this user act on this file?"; `Application.objects.for_user` is the
    same rule for lists (tests/titles/test_permissions.py checks that they agree). The applicant costs no query.
    """
    if user is None:
        return {Actor.SYSTEM}
    if not user.is_authenticated:
        return set()
    if application.applicant_id == user.pk:
        return {Actor.APPLICANT}
    roles = set()
    if assisting_session(user, application.applicant_id) is not None:
        roles.add(Actor.MEDIATEUR)
    if application.organisation_id and application.mandate_id:
        if (
            application.mandate.is_valid
            and user.memberships.active().filter(organisation_id=application.organisation_id).exists()
        ):
            roles.add(Actor.FILER)
    # The second factor is a property of the request, checked by the back office's views, not here.
    # Nobody instructs their own file (the applicant returned above).
    if application.cert_id and application.status != Status.DRAFT:
        if user.memberships.active().filter(organisation_id=application.cert_id, role=Role.AGENT).exists():
            roles.add(Actor.AGENT)
    return roles


def assisting_session(mediateur, citizen_id):
    """Return the active assisted session in which `mediateur` helps this citizen, or None."""
    return (
        AssistedSession.objects.active()
        .filter(mediateur=mediateur, citizen_id=citizen_id)
        .select_related("place")
        .first()
    )


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
        "lines": [[str(label), str(value)] for label, value in procedure.summary_lines(application)],
    }


def queue_document(application, output, *, procedure):
    """Write the PDF's outbox row (idempotent per kind), with the facts it prints, and render it after commit."""
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
            "context": {**document_facts(application, procedure), **procedure.output_context(application, output)},
        },
    )
    if created:
        run_after_commit("titles.tasks.render_document", document.pk)
    return document


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


@transaction.atomic
def create_draft(procedure, *, applicant, filed_by, organisation=None, mandate=None, assisted_by=None):
    """Start an application; only what a caller already checked (mandate, organisation) is recorded."""
    application = Application.objects.create(
        procedure_code=procedure.code,
        title=procedure.title,
        applicant=applicant,
        filed_by=filed_by,
        organisation=organisation,
        mandate=mandate,
        assisted_by=assisted_by,
    )
    # Drafts write no event: the audit trail starts when a file is filed (the submit event says who created it).
    application.data = procedure.initial_data(application)
    application.save(update_fields=["data"])
    return application


@transaction.atomic
def delete_draft(application):
    """Delete a draft and its files; a timbre it paid stays recorded (single-use) and is marked refunded."""
    if application.status != Status.DRAFT:
        raise InvalidTransition("state", "Seul un brouillon peut être supprimé.")
    refund(application)
    application.payments.update(application=None)
    for document in application.documents.all():
        document.file.delete(save=False)
    application.delete()


def json_ready(cleaned):
    """Return cleaned form data as JSON-serialisable values (dates as ISO strings, decimals and others as text)."""
    ready = {}
    for key, value in cleaned.items():
        if hasattr(value, "isoformat"):
            value = value.isoformat()
        elif value is not None and not isinstance(value, (str, int, float, bool, list, dict)):
            value = str(value)
        ready[key] = value
    return ready


def save_step(application, step_slug, cleaned_data):
    """Store a step's cleaned data on the draft (resumable from any device), as JSON."""
    data = dict(application.data)
    data[step_slug] = json_ready(cleaned_data)
    application.data = data
    application.draft_reminder_sent_at = None  # touched again: a new 3-month period, a new reminder
    application.save(update_fields=["data", "updated_at", "draft_reminder_sent_at"])


def missing_for_submission(application):
    """Return the French messages that prevent submitting (empty when the file is complete)."""
    procedure = application.procedure
    problems = []
    for step in procedure.steps:
        form = procedure.stored_step_form(step, application)
        if not form.is_bound or not form.is_valid():
            problems.append(f"L'étape « {step.label} » n'est pas complète.")
    given = set(application.documents.filter(message__isnull=True).values_list("kind", flat=True))
    for document in procedure.documents:
        if document.required and document.kind not in given:
            problems.append(f"Il manque la pièce « {document.label} ».")
    if procedure.fee_total(application) and not is_paid(application):
        problems.append("Le timbre fiscal n'est pas encore payé.")
    problems.extend(procedure.validate_submission(application))
    return problems


def is_paid(application):
    paid = sum(p.amount_cents for p in application.payments.all() if p.status == PaymentStatus.PAID)
    return paid >= application.procedure.fee_total(application)


@transaction.atomic(durable=True)
def apply_transition(application, name, *, actor, reason="", payload=None):
    """Make one transition: lock, check the table, the actor and the procedure's guard, write the event,
    then queue e-mails and PDFs after commit. Raise InvalidTransition with a named reason."""
    return _apply_transition(application, name, actor=actor, reason=reason, payload=payload)


def _apply_transition(application, name, *, actor, reason="", payload=None):
    """The body of apply_transition, for services that make a transition inside their own transaction."""
    application = (
        Application.objects.select_for_update(of=("self",))
        .select_related("applicant", "mandate", "organisation", "cert")
        .get(pk=application.pk)
    )
    roles = actor_roles(application, actor)
    transition = check_transition(application, name, roles)
    acting_role = next(iter(sorted(roles & transition.actors)))
    if transition.needs_reason and not reason.strip():
        raise InvalidTransition("reason", "Indiquez le motif : il sera communiqué au demandeur.")
    procedure = registry.get(application.procedure_code)
    procedure.guard(application, transition, roles)

    previous = application.status
    now = timezone.now()
    application.status = transition.target
    fields = ["status", "updated_at", "status_note"]
    application.status_note = ""
    if name == "submit":
        problems = missing_for_submission(application)
        if problems:
            raise InvalidTransition("incomplete", " ".join(problems))
        application.submitted_at = now
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
        fields += ["submitted_at", "cert", "fee_cents", "expected_decision_at"]
    elif name == "take":
        application.assigned_to = actor
        fields.append("assigned_to")
    elif name == "request_info":
        application.status_note = reason
    elif name in ("accept", "reject", "close"):
        application.decided_at = now
        application.decision_reason = reason
        fields += ["decided_at", "decision_reason"]
    application.save(update_fields=fields)
    payload = {**(payload or {}), **({"reason": reason} if reason else {})}
    if name == "submit":
        payload.update(
            procedure=procedure.code,
            created_by=application.filed_by_id,
            created_at=str(application.created_at),
            timbres=[p.timbre_number[-4:] for p in application.payments.all()],
        )
    event = record_event(
        application,
        name,
        actor=actor,
        role=acting_role,
        from_status=previous,
        to_status=application.status,
        payload=payload,
        organisation=assisting_session(actor, application.applicant_id).place
        if acting_role == Actor.MEDIATEUR
        else None,
    )

    if name == "submit":
        procedure.on_submitted(application, actor)
        for output in procedure.on_submit:
            queue_document(application, output, procedure=procedure)
    elif name == "accept":
        procedure.on_accepted(application, actor)
        for output in procedure.on_accept:
            queue_document(application, output, procedure=procedure)
    elif name in ("reject", "close"):
        procedure.on_rejected(application, actor)
    elif name == "deliver":
        procedure.on_delivered(application, actor)
    elif name == "withdraw" and previous == Status.SUBMITTED:
        refund(application)
    queue_email(notifications.for_event(event))
    return application


def refund(application):
    """Mark the timbres of an application withdrawn before instruction as refunded (the issuer refunds them)."""
    for payment in application.payments.filter(status=PaymentStatus.PAID):
        payment.status = PaymentStatus.REFUNDED
        payment.refunded_at = timezone.now()
        payment.save(update_fields=["status", "refunded_at"])


@transaction.atomic
def add_document(application, *, kind, clean_file, uploaded_by, message=None):
    """Store a checked upload under an internal name; a new file for the same required kind replaces the old one."""
    if application.status in FINAL_STATUSES:
        raise InvalidTransition("state", "Ce dossier est clos : il n'est plus possible d'y ajouter de pièce.")
    if message is None and application.status == Status.DRAFT:
        for old in application.documents.filter(kind=kind, message__isnull=True):
            old.file.delete(save=False)
            old.delete()
    document = UploadedDocument(
        application=application,
        kind=kind,
        extension=clean_file.extension,
        content_type=clean_file.content_type,
        original_name=clean_file.original_name,
        size=len(clean_file.content),
        sha256=clean_file.sha256,
        uploaded_by=uploaded_by,
        message=message,
    )
    document.file.save("upload", ContentFile(clean_file.content), save=False)
    document.save()
    return document


@transaction.atomic(durable=True)
def record_payment(application, *, timbre_number, amount_cents, issuer, actor):
    """Record a validated timbre fiscal; the unique number makes a second use impossible."""
    if application.status != Status.DRAFT:
        raise InvalidTransition("state", "Le paiement se fait avant le dépôt de la demande.")
    return Payment.objects.create(
        application=application, timbre_number=timbre_number, amount_cents=amount_cents, issuer=issuer
    )


@transaction.atomic(durable=True)
def post_message(application, *, author, body, from_agent, files=()):
    """Add a message (and its attachments) to a file; the other side is told by e-mail."""
    message = Message.objects.create(application=application, author=author, body=body, from_agent=from_agent)
    for kind, clean_file in files:
        add_document(application, kind=kind, clean_file=clean_file, uploaded_by=author, message=message)
    event = record_event(
        application,
        "message",
        actor=author,
        role=Actor.AGENT if from_agent else Actor.APPLICANT,
        payload={"message_id": message.pk, "attachments": len(files)},
    )
    if from_agent:
        queue_email(notifications.for_event(event))
    return message


@transaction.atomic(durable=True)
def answer_information_request(application, *, actor, body, files=()):
    """The citizen's answer: a message with documents, and the file goes back to review."""
    message = Message.objects.create(application=application, author=actor, body=body, from_agent=False)
    for kind, clean_file in files:
        add_document(application, kind=kind, clean_file=clean_file, uploaded_by=actor, message=message)
    return _apply_transition(application, "answer", actor=actor, payload={"message_id": message.pk})


@transaction.atomic(durable=True)
def revoke_mandate(mandate, *, by):
    """Revoke at once: the organisation loses access to the files filed under it from now on."""
    mandate.revoked_at = timezone.now()
    mandate.save(update_fields=["revoked_at"])
    return mandate


@transaction.atomic(durable=True)
def confirm_mandate(mandate, *, by):
    mandate.confirmed_at = timezone.now()
    mandate.save(update_fields=["confirmed_at"])
    return mandate


def valid_mandate_for(citizen, organisation, procedure_code):
    return Mandate.objects.covering(citizen, organisation, procedure_code).first()


DRAFT_LIFETIME = datetime.timedelta(days=90)
DRAFT_REMINDER_BEFORE = datetime.timedelta(days=14)


def remind_stale_drafts(now=None):
    """E-mail the owner of each draft untouched for 76 days that it will be deleted in 2 weeks."""
    now = now or timezone.now()
    count = 0
    stale = (
        Application.objects.drafts()
        .filter(updated_at__lte=now - (DRAFT_LIFETIME - DRAFT_REMINDER_BEFORE), draft_reminder_sent_at__isnull=True)
        .select_related("filed_by")
    )
    for application in stale:
        with transaction.atomic():
            email = notifications.build(
                f"draft-reminder:{application.pk}:{application.updated_at.isoformat()}",
                to=application.filed_by.email,
                template="draft_reminder",
                subject=f"Votre brouillon {application.reference} sera supprimé dans 2 semaines",
                context={
                    "application": application,
                    "applicant": application.filed_by,
                    "procedure_label": application.procedure_label,
                    "deletion_date": timezone.localdate(application.updated_at + DRAFT_LIFETIME),
                    "url": notifications.application_url(application),
                },
                application=application,
            )
            # update() keeps updated_at: sending a reminder is not touching the draft.
            Application.objects.filter(pk=application.pk).update(draft_reminder_sent_at=now)
            queue_email(email)
            count += 1
    return count


def delete_stale_drafts(now=None):
    """Delete the drafts untouched for 3 months whose owner was reminded at least 2 weeks ago."""
    now = now or timezone.now()
    stale = Application.objects.drafts().filter(
        updated_at__lte=now - DRAFT_LIFETIME, draft_reminder_sent_at__lte=now - DRAFT_REMINDER_BEFORE
    )
    count = 0
    for application in stale:
        delete_draft(application)
        count += 1
    return count


ASSISTED_SESSION_LENGTH = datetime.timedelta(hours=2)
CONSENT_CODE_TRIES = 5


@transaction.atomic(durable=True)
def open_assisted_session(*, mediateur, place, citizen):
    """Start a session and e-mail the citizen a 6-digit consent code; nothing is allowed until it is confirmed."""
    code = f"{secrets.randbelow(10**6):06d}"
    session = AssistedSession.objects.create(
        mediateur=mediateur,
        citizen=citizen,
        place=place,
        consent_code_hash=make_password(code),
        expires_at=timezone.now() + ASSISTED_SESSION_LENGTH,
    )
    email = notifications.build(
        f"assisted-session:{session.pk}",
        to=citizen.email,
        template="assisted_session_code",
        subject=f"Votre code pour être accompagné par {mediateur.get_full_name()}",
        context={"applicant": citizen, "mediateur": mediateur, "place": place, "code": code},
    )
    queue_email(email)
    return session


@transaction.atomic(durable=True)
def confirm_assisted_session(session, code):
    """Return True if the citizen's code is right (the session starts now); lock after a few wrong codes."""
    session = AssistedSession.objects.select_for_update().get(pk=session.pk)
    if session.consented_at or session.ended_at or session.consent_attempts >= CONSENT_CODE_TRIES:
        return False
    if not check_password(code, session.consent_code_hash):
        session.consent_attempts += 1
        session.save(update_fields=["consent_attempts"])
        return False
    now = timezone.now()
    session.consented_at = now
    session.expires_at = now + ASSISTED_SESSION_LENGTH
    session.save(update_fields=["consented_at", "expires_at"])
    return True


@transaction.atomic(durable=True)
def end_assisted_session(session):
    session.ended_at = timezone.now()
    session.save(update_fields=["ended_at"])
    return session
