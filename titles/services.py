"""The write path of the engine. Every state change goes through `apply_transition`."""

import datetime
import logging
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.core import signing
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from core.exceptions import Refused
from journal import services as journal
from journal.enums import Action
from notifications.outbox import queue_email
from titles import notifications

# The helpers of the effects are also reached as titles.services.<name> (views, procedures, tests).
from titles.effects import EFFECTS, Context, TransitionOutcome, refund
from titles.effects import document_facts as document_facts
from titles.effects import expected_decision_date as expected_decision_date
from titles.effects import is_paid as is_paid
from titles.effects import missing_for_submission as missing_for_submission
from titles.effects import queue_document as queue_document
from titles.effects import route as route
from titles.enums import PaymentStatus
from titles.events import record_event, status_change_listeners
from titles.models import (
    CONSENT_CODE_TRIES,
    CONSENT_FAILURES_PER_HOUR,
    Application,
    AssistedSession,
    ConsentCodeFailure,
    GeneratedDocument,
    Mandate,
    Message,
    Payment,
    UploadedDocument,
)

# "May this user act on this file?" is titles.permissions'; reached as titles.services.<name> by views and apps.
from titles.permissions import actor_roles as actor_roles
from titles.permissions import assisting_session as assisting_session
from titles.registry import registry
from titles.sealing import InvalidToken, unseal_bytes
from titles.workflow import FINAL_STATUSES, Actor, InvalidTransition, Status, check_transition

logger = logging.getLogger(__name__)


def acting_capacity(application, actor):
    """Return `(role, organisation)`: the capacity in which `actor` acts on the applicant's side of `application`
    and the organisation named with it (the mandated organisation, or the point numérique of the médiateur's
    session); `("", None)` if they have none."""
    if actor.pk == application.applicant_id:
        return Actor.APPLICANT, None
    if application.organisation_id:  # a file filed under a mandate is worked by the organisation (views._can_edit)
        if Actor.FILER in actor_roles(application, actor):
            return Actor.FILER, application.organisation
        return "", None
    session = assisting_session(actor, application.applicant_id)
    if session is not None:
        return Actor.MEDIATEUR, session.place
    return "", None


def record_act_for_applicant(application, kind, *, actor, payload=None):
    """Journal an act on a draft (a step saved, a document given, a timbre paid) done by someone other than the
    applicant, naming both and the capacity; return the event, or None for the applicant's own acts (their draft
    is theirs: its audit trail starts when it is filed)."""
    if actor is None or actor.pk == application.applicant_id:
        return None
    role, organisation = acting_capacity(application, actor)
    return record_event(
        application,
        kind,
        actor=actor,
        role=role,
        organisation=organisation,
        payload={"reference": application.reference, **(payload or {})},
    )


@transaction.atomic(durable=True)
def take_sealed_copy(document, *, actor, role):
    """Return the PDF of a document's copy that prints its secrets (`titles.tasks.render_document`), opened, and
    delete it: it is delivered once, and the event says to whom. Return None when there is none (taken already, or
    not rendered yet)."""
    locked = GeneratedDocument.objects.select_for_update().filter(pk=document.pk).first()
    name = (locked.context or {}).get("sealed_copy") if locked else None
    if not name:
        return None
    storage = locked.file.storage
    try:
        with storage.open(name, "rb") as handle:
            content = unseal_bytes(handle.read())
    except (OSError, InvalidToken):  # lost, or sealed under a key since retired: as good as taken
        logger.warning("The sealed copy of document %s cannot be opened", document.pk, exc_info=True)
        content = None
    locked.context = {key: value for key, value in locked.context.items() if key != "sealed_copy"}
    locked.save(update_fields=["context"])
    if content is not None:
        record_event(document.application, "sealed_copy_taken", actor=actor, role=role,
                     payload={"kind": document.kind})
    transaction.on_commit(lambda: storage.delete(name))
    return content


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


@transaction.atomic
def save_step(application, step_slug, cleaned_data, *, actor=None):
    """Store a step's cleaned data on the draft (resumable from any device), as JSON; journal it when `actor` acts
    for the applicant."""
    if application.status != Status.DRAFT:
        # Once filed, the file's facts are in typed rows: the draft it was made from does not change any more.
        raise InvalidTransition("state", "Ce dossier est déposé : ses étapes ne peuvent plus être modifiées.")
    values = application.procedure.record_step(application, step_slug, dict(cleaned_data))
    data = dict(application.data)
    data[step_slug] = json_ready(values)
    application.data = data
    application.draft_reminder_sent_at = None  # touched again: a new 3-month period, a new reminder
    application.save(update_fields=["data", "updated_at", "draft_reminder_sent_at"])
    record_act_for_applicant(application, "step_saved", actor=actor, payload={"step": step_slug})


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
            timbres=[p.timbre_number[-4:] for p in application.payments.all() if p.timbre_number],
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
    issued_at_once = name == "submit" and procedure.completed_on_submit  # its one e-mail: "issued", below
    queue_email(None if issued_at_once else notifications.for_event(outcome.event))
    for listener in status_change_listeners:
        listener(outcome.event)
    if issued_at_once:
        outcome.documents.extend(_apply_transition(application, "issue", actor=None).documents)
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
    if message is None:  # an attachment is journaled with its message (or the answer it comes with)
        record_act_for_applicant(
            application, "document_added", actor=uploaded_by, payload={"kind": kind, "document_id": document.pk}
        )
    return document


class AlreadyPaid(Refused):
    """The file's fee is paid already: a second timbre would be spent for nothing."""


@transaction.atomic(durable=True)
def record_payment(application, *, timbre_number, amount_cents, issuer, actor):
    """Record a validated timbre fiscal; the unique number makes a second use impossible, and the file's row lock
    a second payment of the same file (raise AlreadyPaid)."""
    locked = Application.objects.select_for_update(of=("self",)).get(pk=application.pk)
    if locked.status != Status.DRAFT:
        raise InvalidTransition("state", "Le paiement se fait avant le dépôt de la demande.")
    if is_paid(locked):
        raise AlreadyPaid("paid", "Le timbre fiscal de cette démarche est déjà payé : aucun autre n'est nécessaire.")
    return record_payment_locked(
        locked, timbre_number=timbre_number, amount_cents=amount_cents, issuer=issuer, actor=actor
    )


def record_payment_locked(application, *, timbre_number, amount_cents, issuer, actor):
    """Record a timbre on a file the caller holds locked in its transaction and has checked unpaid."""
    if application.status != Status.DRAFT:
        raise InvalidTransition("state", "Le paiement se fait avant le dépôt de la demande.")
    payment = Payment.objects.create(
        application=application, timbre_number=timbre_number, amount_cents=amount_cents, issuer=issuer
    )
    record_act_for_applicant(
        application, "payment", actor=actor, payload={"timbre": timbre_number[-4:], "amount_cents": amount_cents}
    )
    return payment


def current_payment(application):
    """Return the timbre that pays the file (the latest, if a file somehow holds several)."""
    return application.payments.filter(status=PaymentStatus.PAID).order_by("-paid_at", "-pk").first()


@transaction.atomic(durable=True)
def post_message(application, *, author, body, from_agent, files=()):
    """Add a message (and its attachments) to a file; the other side is told by e-mail."""
    message = Message.objects.create(application=application, author=author, body=body, from_agent=from_agent)
    for kind, clean_file in files:
        add_document(application, kind=kind, clean_file=clean_file, uploaded_by=author, message=message)
    role, organisation = (Actor.AGENT, None) if from_agent else acting_capacity(application, author)
    event = record_event(
        application,
        "message",
        actor=author,
        role=role,
        organisation=organisation,
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
    journal_mandate(Action.MANDATE_REVOKED if mandate.confirmed_at else Action.MANDATE_REFUSED, mandate, actor=by)
    return mandate


class MandateRefused(Refused):
    """A mandate that cannot be confirmed (confirmed already, revoked or expired); `reason` is the French message."""


@transaction.atomic(durable=True)
def confirm_mandate(mandate, *, by):
    """Confirm, for its holder `by`, a mandate an organisation asked for or declared: it takes effect now. Raise
    MandateRefused when it no longer waits for a confirmation."""
    locked = Mandate.objects.select_for_update().get(pk=mandate.pk)
    if not locked.is_pending:
        raise MandateRefused(
            "state",
            "Ce mandat n'attend plus de confirmation : il est déjà confirmé, révoqué ou arrivé à son terme.",
        )
    mandate.confirmed_at = timezone.now()
    mandate.save(update_fields=["confirmed_at"])
    journal_mandate(Action.MANDATE_CONFIRMED, mandate, actor=by)
    return mandate


def journal_mandate(action, mandate, *, actor, **payload):
    """Journal an act on a mandate (asked, declared, confirmed, refused, revoked), naming the actor, the citizen and
    the organisation; the caller is inside the act's transaction."""
    return journal.record(
        action,
        actor=actor,
        acting_for=mandate.citizen,
        organisation=mandate.organisation,
        role=_role_towards(actor, mandate.citizen_id, Actor.FILER),
        subject=f"mandat {mandate.pk}",
        payload={"mandate_id": mandate.pk, "procedures": list(mandate.procedures),
                 "consent_method": mandate.consent_method, **payload},
    )


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
# How long the citizen's code may be typed: a session waiting for it blocks any other session for that citizen.
CONSENT_CODE_VALIDITY = datetime.timedelta(minutes=15)
END_LINK_SALT = "titles.assisted-session.end"
END_LINK_MAX_AGE = datetime.timedelta(days=1)


class SessionRefused(Refused):
    """An assisted session that may not be opened or confirmed; `reason` is the French message."""


def end_link_token(session):
    """Return the signed token of the link, in the consent e-mail, with which the citizen ends the session."""
    return signing.TimestampSigner(salt=END_LINK_SALT).sign(str(session.pk))


def session_from_end_link(token):
    """Return the session a signed end link names, or None if the token is forged or too old."""
    try:
        pk = signing.TimestampSigner(salt=END_LINK_SALT).unsign(token, max_age=END_LINK_MAX_AGE)
    except signing.BadSignature:
        return None
    return AssistedSession.objects.select_related("mediateur", "place").filter(pk=pk).first()


@transaction.atomic(durable=True)
def open_assisted_session(*, mediateur, place, citizen):
    """Start a session and e-mail the citizen a 6-digit consent code; nothing is allowed until it is confirmed.

    Raise SessionRefused while the citizen has another session running or waiting for its code: a citizen has
    one open session at a time, so a médiateur cannot multiply sessions (and code guesses) on one person, and a
    second médiateur cannot cut a session in progress; the citizen can end it from Mon espace or the e-mail.
    """
    # Lock the citizen's row: two médiateurs opening a session for the same person at once are served in turn.
    get_user_model().objects.select_for_update().filter(pk=citizen.pk).first()
    current = AssistedSession.objects.open().filter(citizen=citizen).first()
    if current is not None:
        if current.mediateur_id == mediateur.pk:
            raise SessionRefused(
                "open",
                "Vous avez déjà une séance ouverte ou en attente de code avec cette personne : reprenez-la dans "
                "« Mes dernières séances », ou terminez-la avant d'en ouvrir une autre.",
            )
        raise SessionRefused(
            "open",
            "Cette personne a déjà une séance d'accompagnement ouverte ou en attente avec un autre médiateur. "
            "Elle peut y mettre fin depuis « Mon espace » ; sinon, attendez que cette séance expire.",
        )
    code = f"{secrets.randbelow(10**6):06d}"
    now = timezone.now()
    session = AssistedSession.objects.create(
        mediateur=mediateur,
        citizen=citizen,
        place=place,
        consent_code_hash=make_password(code),
        created_at=now,
        expires_at=now + CONSENT_CODE_VALIDITY,
    )
    journal_session(Action.SESSION_OPENED, session, actor=mediateur)
    end_url = notifications.assisted_session_end_url(end_link_token(session))
    email = notifications.build(
        f"assisted-session:{session.pk}",
        to=citizen.email,
        template="assisted_session_code",
        subject=f"Votre code pour être accompagné par {mediateur.get_full_name()}",
        context={
            "applicant": citizen,
            "mediateur": mediateur,
            "place": place,
            "code": code,
            "code_minutes": int(CONSENT_CODE_VALIDITY.total_seconds() // 60),
            "end_url": end_url,
        },
    )
    queue_email(email)
    return session


def confirm_assisted_session(session, code):
    """Start the session if the citizen's code is right; raise SessionRefused otherwise.

    A session takes CONSENT_CODE_TRIES wrong codes, a médiateur CONSENT_FAILURES_PER_HOUR over the last hour
    (whatever the sessions); past that every code is refused, the right one too, until the hour has passed.
    """
    refusal = _check_consent_code(session, code)
    if refusal is not None:  # raised after the commit: the wrong try is counted
        raise refusal
    return session


@transaction.atomic(durable=True)
def _check_consent_code(session, code):
    session = AssistedSession.objects.select_for_update().get(pk=session.pk)
    now = timezone.now()
    if not AssistedSession.objects.pending(now).filter(pk=session.pk).exists():
        return SessionRefused(
            "closed",
            "Cette séance n'attend plus de code (code expiré, trop d'essais ou séance terminée) : ouvrez-en une "
            "nouvelle.",
        )
    failures = ConsentCodeFailure.objects.filter(
        mediateur_id=session.mediateur_id, created_at__gt=now - datetime.timedelta(hours=1)
    )
    if failures.count() >= CONSENT_FAILURES_PER_HOUR:
        oldest = failures.order_by("created_at").values_list("created_at", flat=True).first()
        again = timezone.localtime(oldest + datetime.timedelta(hours=1))
        return SessionRefused(
            "rate",
            f"Trop de codes erronés en une heure : vous pourrez saisir un code à nouveau à {again:%H:%M}.",
        )
    if not check_password(code, session.consent_code_hash):
        session.consent_attempts += 1
        session.save(update_fields=["consent_attempts"])
        ConsentCodeFailure.objects.create(mediateur_id=session.mediateur_id, session=session, created_at=now)
        left = CONSENT_CODE_TRIES - session.consent_attempts
        if left <= 0:
            return SessionRefused("code", "Ce code n'est pas le bon. La séance est bloquée : ouvrez-en une nouvelle.")
        return SessionRefused("code", f"Ce code n'est pas le bon (encore {left} essai{'s' if left > 1 else ''}).")
    session.consented_at = now
    session.expires_at = now + ASSISTED_SESSION_LENGTH
    session.save(update_fields=["consented_at", "expires_at"])
    journal_session(Action.SESSION_CONSENTED, session, actor=session.mediateur)
    return None


@transaction.atomic(durable=True)
def end_assisted_session(session, *, by):
    """End a session at once, recording who ended it (the citizen or the médiateur); ending twice changes nothing."""
    session = AssistedSession.objects.select_for_update().get(pk=session.pk)
    if session.ended_at is None:
        session.ended_at = timezone.now()
        session.ended_by = by
        session.save(update_fields=["ended_at", "ended_by"])
        journal_session(Action.SESSION_ENDED, session, actor=by)
        logger.info(
            "Assisted session %s (médiateur %s, citizen %s) ended by %s",
            session.pk,
            session.mediateur_id,
            session.citizen_id,
            by.pk if by else None,
        )
    return session


def journal_session(action, session, *, actor):
    """Journal an act on an assisted session, naming the médiateur, the citizen and the point numérique."""
    return journal.record(
        action,
        actor=actor,
        acting_for=session.citizen,
        organisation=session.place,
        role=_role_towards(actor, session.citizen_id, Actor.MEDIATEUR),
        subject=f"séance {session.pk}",
        payload={"session_id": session.pk, "mediateur_id": session.mediateur_id},
    )


def _role_towards(actor, citizen_id, other):
    if actor is None:
        return Actor.SYSTEM
    return Actor.APPLICANT if actor.pk == citizen_id else other
