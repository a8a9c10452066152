"""The write path of the engine. Every state change goes through `apply_transition`."""

import datetime
import logging
import secrets

from django.contrib.auth.hashers import check_password, make_password
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from accounts.enums import Role
from titles import notifications

# The helpers of the effects are also reached as titles.services.<name> (views, procedures, tests).
from titles.effects import EFFECTS, Context, TransitionOutcome, refund
from titles.effects import document_facts as document_facts
from titles.effects import expected_decision_date as expected_decision_date
from titles.effects import is_paid as is_paid
from titles.effects import missing_for_submission as missing_for_submission
from titles.effects import queue_document as queue_document
from titles.effects import route as route
from titles.events import record_event
from titles.models import (
    Application,
    AssistedSession,
    Mandate,
    Message,
    Payment,
    UploadedDocument,
)
from titles.outbox import queue_email
from titles.registry import registry
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


@transaction.atomic(durable=True)
def apply_transition(application, name, *, actor, reason="", payload=None):
    """Make one transition: lock, check the table, the actor and the procedure's guard, run the transition's
    effects, write the event, the procedure's register writes (or their undo on a way out) and its hook, then queue
    e-mails and PDFs after commit. Return a TransitionOutcome; raise InvalidTransition with a named reason."""
    return _apply_transition(application, name, actor=actor, reason=reason, payload=payload)


def _apply_transition(application, name, *, actor, reason="", payload=None):
    """The body of apply_transition, for services that make a transition inside their own transaction.

    The transition table names what runs (`titles/workflow.py`, `titles/effects.py`); the procedure adds its
    register writes, the undo of those writes on a way out, and its `on_<transition>` hook (`titles/procedures.py`).
    """
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

    outcome = TransitionOutcome(application=application, transition=transition)
    ctx = Context(
        application=application,
        procedure=procedure,
        transition=transition,
        actor=actor,
        role=acting_role,
        reason=reason,
        previous=application.status,
        now=timezone.now(),
        outcome=outcome,
    )
    application.status = transition.target
    application.status_note = ""
    for effect in transition.effects:
        EFFECTS[effect](ctx)
    application.save(update_fields=ctx.fields)

    payload = {**(payload or {}), **({"reason": reason} if reason else {})}
    if name == "submit":
        payload.update(
            procedure=procedure.code,
            created_by=application.filed_by_id,
            created_at=str(application.created_at),
            timbres=[p.timbre_number[-4:] for p in application.payments.all()],
        )
    outcome.event = record_event(
        application,
        name,
        actor=actor,
        role=acting_role,
        from_status=ctx.previous,
        to_status=application.status,
        payload=payload,
        organisation=assisting_session(actor, application.applicant_id).place
        if acting_role == Actor.MEDIATEUR
        else None,
    )
    procedure.run_writes(application, ctx)
    procedure.hook(transition.name)(application, ctx)
    if transition.way_out:
        outcome.undone = procedure.undo_writes(application, ctx)
    for consequence in transition.consequences:
        EFFECTS[consequence](ctx)
    queue_email(notifications.for_event(outcome.event))
    return outcome


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
                    "deletion_date": (application.updated_at + DRAFT_LIFETIME).date(),
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
