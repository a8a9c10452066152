"""The write path of the licences app: the register, e-photo, driving schools' mandates and transfers, and the
automatic closure of permis international files whose paper part never came.

Register functions run inside the engine's transition transaction (procedure hooks); the school and transfer
services are top-level actions (`atomic(durable=True)`), each writing one event when it concerns a file.
"""

import logging
import unicodedata

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.dates import add_months, add_years
from core.exceptions import Refused
from journal import services as journal
from journal.enums import Action
from licences import notifications
from licences.dates import years_between
from licences.enums import (
    CARD_VALIDITY_YEARS,
    HEAVY_AFTER_SENIOR_YEARS,
    HEAVY_CAPPED_AT_AGE,
    HEAVY_CATEGORIES,
    HEAVY_SENIOR_AGE,
    HEAVY_SENIOR_YEARS,
    HEAVY_UNTIL_AGE,
    HEAVY_VALIDITY_YEARS,
    INTERNATIONAL_PAPER_MONTHS,
    LICENCE,
    SCHOOL_PROCEDURES,
    Code,
    LicenceStatus,
)
from licences.ephoto import EphotoError, get_provider
from licences.models import Licence, LicenceCategory, SchoolTransfer, new_card_number, new_neph
from titles import services as engine
from titles.enums import ConsentMethod
from titles.events import record_event
from titles.models import Application, Mandate, normalise_public_code
from titles.registry import registry
from titles.uploads import UploadRules, clean_upload
from titles.workflow import FINAL_STATUSES, Actor, InvalidTransition, Status

logger = logging.getLogger(__name__)


class ActionRefused(Refused):
    """A school or student action the rules refuse; `reason` is French, for the person who tried."""

    def __init__(self, reason):
        super().__init__("action", reason)


# The register ---------------------------------------------------------------------------------------------------


def licence_of(user):
    """Return the user's entry in the register (categories prefetched), or None."""
    return Licence.objects.filter(holder=user).prefetch_related("categories").first()


def ensure_licence(holder, *, neph=""):
    """Return the holder's entry, creating it (a new NEPH, or the one they declared: a reactivation) if needed."""
    licence = licence_of(holder)
    if licence is not None:
        return licence
    for _ in range(5):
        try:
            with transaction.atomic():
                return Licence.objects.create(holder=holder, neph=neph or new_neph())
        except IntegrityError:
            if neph:
                raise InvalidTransition("neph", "Ce NEPH est déjà attribué à une autre personne.") from None
    raise RuntimeError("Could not draw a free NEPH")


def heavy_valid_until(category, start, birth_date):
    """Return the end of validity of a heavy `category` obtained or renewed on `start` by someone born on
    `birth_date`: 5 years until 55, then until the 60th birthday, from 60 to 76 two years (C) or one (D), one year
    from 76 (arrêté du 20 avril 2012)."""
    if birth_date is None:
        return add_years(start, HEAVY_VALIDITY_YEARS)
    age = years_between(birth_date, start)
    if age < HEAVY_UNTIL_AGE:
        return add_years(start, HEAVY_VALIDITY_YEARS)
    if age < HEAVY_CAPPED_AT_AGE:
        return add_years(birth_date, HEAVY_CAPPED_AT_AGE)
    if age < HEAVY_SENIOR_AGE:
        return add_years(start, HEAVY_SENIOR_YEARS[str(category)[0]])
    return add_years(start, HEAVY_AFTER_SENIOR_YEARS)


def set_category(licence, category, *, obtained_on, renewed_on=None):
    """Record a category; a heavy one is valid from its obtention or its last renewal for the time its holder's age
    gives (`heavy_valid_until`)."""
    valid_until = None
    if category in HEAVY_CATEGORIES:
        valid_until = heavy_valid_until(category, renewed_on or obtained_on, licence.holder.birth_date)
    LicenceCategory.objects.update_or_create(
        licence=licence, category=category, defaults={"obtained_on": obtained_on, "valid_until": valid_until}
    )


def renew_category(licence, category, *, renewed_on):
    row = licence.categories.filter(category=category).first()
    if row is not None:
        set_category(licence, category, obtained_on=row.obtained_on, renewed_on=renewed_on)


def restore(licence):
    """Put a licence back in force (after a suspension, or after the exams passed again)."""
    licence.status = LicenceStatus.VALID
    licence.measure_decided_on = None
    licence.measure_months = None
    licence.save(update_fields=["status", "measure_decided_on", "measure_months", "updated_at"])


def issue_card(licence, *, issued_on):
    """Give the licence a new card: a new number, issued today, valid 15 years."""
    for _ in range(5):
        number = new_card_number(issued_on)
        if not Licence.objects.filter(card_number=number).exists():
            break
    licence.card_number = number
    licence.card_issued_on = issued_on
    licence.card_valid_until = add_years(issued_on, CARD_VALIDITY_YEARS)
    licence.save(update_fields=["card_number", "card_issued_on", "card_valid_until", "updated_at"])
    return licence


# E-photo --------------------------------------------------------------------------------------------------------

PHOTO_RULES = UploadRules(kinds=("image",), max_bytes=2 * 1024 * 1024)


def attach_ephoto(application, code, *, actor):
    """Use the code (single use) and bring its photo and signature into the file, inside the submit transaction."""
    try:
        portrait = get_provider().consume(code, reference=application.reference)
    except EphotoError as error:
        raise InvalidTransition("ephoto", error.reason) from None
    for kind, content in (("ephoto-photo", portrait.photo), ("ephoto-signature", portrait.signature)):
        clean = clean_upload(SimpleUploadedFile(f"{kind}.jpg", content, content_type="image/jpeg"), PHOTO_RULES)
        engine.add_document(application, kind=kind, clean_file=clean, uploaded_by=actor or application.filed_by)
    return portrait


# Driving schools ------------------------------------------------------------------------------------------------


def school_procedures():
    return [registry.get(code) for code in SCHOOL_PROCEDURES if code in registry]


@transaction.atomic(durable=True)
def enrol_student(school, *, staff, email, given_names, family_name, birth_date, procedures, consent_method,
                  months):
    """Create the mandate a school asks for, and the student's account if they have none; e-mail the student.

    A mandate over an existing account waits for its holder's confirmation, from her e-mail or her space, whatever
    the consent method: a school could otherwise declare a paper mandate over anyone's account and see her files
    at once. A paper mandate for a new person (the school opens the account) is in force at once, the school
    certifying it holds it; an electronic one waits for the confirmation too. Until then the school sees only
    what it typed (`Mandate.declared_name`). Return the mandate.
    """
    if not school.is_validated:
        raise ActionRefused("L'agrément de votre école n'est pas encore validé par un administrateur : vous ne "
                            "pouvez pas encore agir pour vos élèves.")
    for code in procedures:
        refusal = registry.get(code).refuse_mandate_method(consent_method)
        if refusal:
            raise ActionRefused(refusal)
    User = get_user_model()
    student = User.objects.filter(email__iexact=email).first()
    opened_now = student is None
    if opened_now:
        # No password yet: the student chooses one from the e-mail's link (which proves the address).
        student = User.objects.create_user(email=email, given_names=given_names, family_name=family_name,
                                           birth_date=birth_date)
        journal.record(Action.ACCOUNT_CREATED_FOR, actor=staff, acting_for=student, organisation=school,
                       role=Actor.FILER)
    now = timezone.now()
    in_force_at_once = consent_method == ConsentMethod.PAPER and opened_now
    mandate = Mandate.objects.create(
        citizen=student, organisation=school, procedures=list(procedures), consent_method=consent_method,
        valid_from=now, valid_until=add_months(now, months), created_by=staff,
        confirmed_at=now if in_force_at_once else None,
        declared_name=f"{given_names} {family_name}".strip(),
    )
    engine.journal_mandate(Action.MANDATE_CREATED, mandate, actor=staff, in_force=in_force_at_once)
    labels = [registry.get(code).label for code in procedures]
    if in_force_at_once:
        notifications.PaperMandateDeclared.send(mandate, labels=labels)
    else:
        notifications.MandateRequest.send(mandate, labels=labels, needs_password=needs_password(student),
                                          paper=consent_method == ConsentMethod.PAPER)
    return mandate


def needs_password(user):
    """Whether the account was opened for the user by a school and never used: no password, no FranceConnect."""
    return not user.has_usable_password() and not user.fc_sub


@transaction.atomic(durable=True)
def activate_student(mandate, *, password):
    """The student opens the account a school created, with the password they chose, and confirms the mandate in
    the same click; the link they followed proves their address."""
    mandate = Mandate.objects.select_for_update(of=("self",)).select_related("citizen").get(pk=mandate.pk)
    if mandate.confirmed_at is not None or mandate.revoked_at is not None:
        raise ActionRefused("Ce mandat n'est plus en attente de confirmation.")
    student = mandate.citizen
    if not needs_password(student):
        raise ActionRefused("Votre compte a déjà un mot de passe : connectez-vous pour confirmer le mandat.")
    now = timezone.now()
    student.set_password(password)
    student.email_verified_at = student.email_verified_at or now
    student.save(update_fields=["password", "email_verified_at"])
    mandate.confirmed_at = now
    mandate.save(update_fields=["confirmed_at"])
    engine.journal_mandate(Action.MANDATE_CONFIRMED, mandate, actor=student)
    return mandate


def _same_name(a, b):
    def fold(text):
        text = unicodedata.normalize("NFKD", text or "")
        return "".join(c for c in text if c.isalnum()).casefold()

    return fold(a) == fold(b)


@transaction.atomic(durable=True)
def request_transfer(school, *, staff, reference, family_name):
    """A school asks to take over a student's file from another school; the student is asked to confirm."""
    if not school.is_validated:
        raise ActionRefused("L'agrément de votre école n'est pas encore validé par un administrateur.")
    application = (
        Application.objects.select_for_update(of=("self",))
        .filter(reference=normalise_public_code(reference), title=LICENCE)
        .select_related("applicant", "organisation", "mandate")
        .first()
    )
    if application is None or not _same_name(application.applicant.family_name, family_name):
        raise ActionRefused("Aucun dossier de permis de conduire ne correspond à ce numéro et à ce nom.")
    if application.organisation_id == school.pk:
        raise ActionRefused("Ce dossier est déjà suivi par votre école.")
    if application.organisation is None or application.organisation.kind != school.kind:
        raise ActionRefused("Ce dossier n'a pas été déposé par une école de conduite : l'élève peut vous donner "
                            "un mandat pour ses prochaines démarches.")
    if application.mandate and application.mandate.consent_method == ConsentMethod.PAPER:
        raise ActionRefused("Ce dossier a été déposé avec un mandat papier : il ne peut pas être transféré à une "
                            "autre école.")
    if application.status in FINAL_STATUSES:
        raise ActionRefused("Ce dossier est clos : il ne peut plus être transféré.")
    if SchoolTransfer.objects.pending().filter(application=application).exists():
        raise ActionRefused("Une demande de transfert de ce dossier attend déjà la réponse de l'élève.")
    now = timezone.now()
    covered = [code for code in (application.mandate.procedures if application.mandate else [])
               if code in SCHOOL_PROCEDURES] or [application.procedure_code]
    mandate = Mandate.objects.create(
        citizen=application.applicant, organisation=school, procedures=covered,
        consent_method=ConsentMethod.ELECTRONIC, valid_from=now, valid_until=add_months(now, 12), created_by=staff,
        declared_name=family_name.strip(),
    )
    engine.journal_mandate(Action.MANDATE_CREATED, mandate, actor=staff, transfer_of=application.reference)
    transfer = SchoolTransfer.objects.create(
        application=application, from_organisation=application.organisation, to_organisation=school,
        mandate=mandate, requested_by=staff,
    )
    record_event(application, "school_transfer_requested", actor=staff, public=False, payload={
        "transfer_id": transfer.pk, "from_organisation": application.organisation_id, "to_organisation": school.pk})
    notifications.TransferRequest.send(transfer)
    return transfer


def _pending_transfer_for(transfer, user):
    transfer = SchoolTransfer.objects.select_for_update(of=("self",)).select_related(
        "application__applicant", "from_organisation", "to_organisation", "mandate").get(pk=transfer.pk)
    if transfer.application.applicant_id != user.pk:
        raise ActionRefused("Seul l'élève peut répondre à cette demande de transfert.")
    if not transfer.is_pending:
        raise ActionRefused("Vous avez déjà répondu à cette demande de transfert.")
    return transfer


@transaction.atomic(durable=True)
def confirm_transfer(transfer, *, by):
    """The student accepts: the file and its mandate go to the new school, which alone may act on it from now on.
    The former school's mandate is revoked when no other open file of the student depends on it."""
    application = Application.objects.select_for_update().get(pk=transfer.application_id)
    transfer = _pending_transfer_for(transfer, by)
    if application.organisation_id != transfer.from_organisation_id or application.status in FINAL_STATUSES:
        raise ActionRefused("Ce dossier a changé depuis la demande : le transfert n'est plus possible.")
    now = timezone.now()
    previous = application.mandate
    transfer.mandate.confirmed_at = now
    transfer.mandate.save(update_fields=["confirmed_at"])
    engine.journal_mandate(Action.MANDATE_CONFIRMED, transfer.mandate, actor=by)
    application.organisation = transfer.to_organisation
    application.mandate = transfer.mandate
    application.save(update_fields=["organisation", "mandate"])
    if previous is not None and not Application.objects.filter(mandate=previous).exclude(
            status__in=FINAL_STATUSES).exists():
        previous.revoked_at = now
        previous.save(update_fields=["revoked_at"])
        engine.journal_mandate(Action.MANDATE_REVOKED, previous, actor=by, transfer_to=transfer.to_organisation_id)
    transfer.confirmed_at = now
    transfer.save(update_fields=["confirmed_at"])
    record_event(application, "school_transfer", actor=by, role=Actor.APPLICANT, public=False, payload={
        "transfer_id": transfer.pk, "from_organisation": transfer.from_organisation_id,
        "to_organisation": transfer.to_organisation_id})
    notifications.TransferDone.send(transfer)
    return transfer


@transaction.atomic(durable=True)
def refuse_transfer(transfer, *, by):
    application = Application.objects.select_for_update().get(pk=transfer.application_id)
    transfer = _pending_transfer_for(transfer, by)
    now = timezone.now()
    transfer.refused_at = now
    transfer.save(update_fields=["refused_at"])
    transfer.mandate.revoked_at = now
    transfer.mandate.save(update_fields=["revoked_at"])
    engine.journal_mandate(Action.MANDATE_REFUSED, transfer.mandate, actor=by)
    record_event(application, "school_transfer_refused", actor=by, role=Actor.APPLICANT, public=False,
                 payload={"transfer_id": transfer.pk, "to_organisation": transfer.to_organisation_id})
    notifications.TransferDone.send(transfer)
    return transfer


# After the decision ---------------------------------------------------------------------------------------------


def send_card(application, *, actor, tracking):
    """The card leaves the printer: record the La Poste tracking reference with the transition."""
    return engine.apply_transition(application, "send", actor=actor, payload={"tracking": tracking})


CLOSURE_REASON = (
    "le courrier (attestation de dépôt, photo d'identité et enveloppe affranchie) n'est pas parvenu au CERT de "
    "Nantes dans les 2 mois suivant le dépôt de la demande. Vous pouvez déposer une nouvelle demande."
)


def close_unmailed_international(now=None):
    """Close the permis international files whose paper part did not reach the CERT within 2 months.

    The CERT takes a file (submitted → in review) when the paper part arrives, so a file still "submitted" after
    2 months is one whose letter never came. Return the number of files closed.
    """
    now = now or timezone.now()
    cutoff = add_months(now, -INTERNATIONAL_PAPER_MONTHS)
    stale = Application.objects.filter(
        procedure_code=Code.INTERNATIONAL, status=Status.SUBMITTED, submitted_at__lte=cutoff
    ).values_list("pk", flat=True)
    closed = 0
    for pk in list(stale):
        try:
            engine.apply_transition(Application(pk=pk), "close", actor=None, reason=CLOSURE_REASON)
        except InvalidTransition as error:  # taken by an agent in the meantime: nothing to do
            logger.info("Permis international %s not closed: %s", pk, error.code)
        else:
            closed += 1
    return closed
