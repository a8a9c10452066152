"""The write path of the pré-demande: its number at submission, appointments, the mairie's deposit, expiry.

Top-level services are `atomic(durable=True)` and write one `ApplicationEvent` per business action; state changes
go through `titles.services`' transition functions only.
"""

import logging

from django.db import transaction
from django.utils import formats, timezone, translation

from accounts.models import Membership
from core.dates import add_months
from core.exceptions import Refused
from core.formats import french_date
from identity import notifications
from identity.enums import MAIRIE_AGENT
from identity.models import Deposit, Mairie, MairieProfile, PreDemande, Slot, new_pre_demande_number
from identity.permissions import MAIRIE, MAIRIE_AGENTS
from identity.rules import FINGERPRINT_MIN_AGE, PRE_DEMANDE_VALIDITY_MONTHS
from titles.events import record_event
from titles.models import Application
from titles.services import actor_roles, apply_transition, assisting_session
from titles.workflow import Actor, InvalidTransition, Status

logger = logging.getLogger(__name__)

NUMBER_ATTEMPTS = 5
# The capacity in which a mairie agent appears on the timeline.
MAIRIE_ROLE = Actor.MAIRIE
EXPIRY_REASON = (
    "Pré-demande expirée : elle n'a pas été déposée en mairie dans les {months} mois qui suivent son "
    "enregistrement. Faites une nouvelle pré-demande si vous avez toujours besoin du titre."
)


class AppointmentRefused(Refused):
    """A booking, a cancellation or a deposit the rules refuse; `reason` says why, in French."""


def french_datetime(value):
    """Return « lundi 2 mars 2026 à 9 h 15 » in the portal's time zone."""
    local = timezone.localtime(value)
    with translation.override("fr"):
        day = formats.date_format(local, "l j F Y")
    return f"{day} à {local.hour} h {local.minute:02d}"


def fingerprints_wording(taken):
    return "empreintes relevées" if taken else "sans relevé d'empreintes (moins de 12 ans)"


def pre_demande_expiry(day):
    return add_months(day, PRE_DEMANDE_VALIDITY_MONTHS)


def unique_pre_demande_number():
    """Return a numéro de pré-demande not yet given (45 random bits: a retry is already a rare event)."""
    for _ in range(NUMBER_ATTEMPTS):
        number = new_pre_demande_number()
        if not PreDemande.objects.filter(number=number).exists():
            return number
        logger.warning("Numéro de pré-demande déjà attribué, nouveau tirage")
    raise RuntimeError("No free pré-demande number after several draws")


def register_pre_demande(application, ctx):
    """Give the submitted application its numéro de pré-demande and e-mail it (a register write of the submit)."""
    pre_demande, created = PreDemande.objects.get_or_create(
        application=application,
        defaults={
            "number": unique_pre_demande_number(),
            "kind": ctx.procedure.kind,
            "expires_on": pre_demande_expiry(timezone.localdate()),
            **ctx.procedure.holder_facts(application),
        },
    )
    if created:
        procedure = application.procedure
        notifications.PreDemandeNumber(
            number=pre_demande.number_display,
            pre_demande=pre_demande,
            expires_on=french_date(pre_demande.expires_on),
            holder_name=procedure.holder_name(application),
            for_child=procedure.is_for_child(application),
        ).send(key=f"pre-demande:{pre_demande.pk}", application=application)
    return pre_demande


def cancel_pre_demande(application, ctx):
    """Undo a pré-demande when its file is withdrawn, refused or closed (expired): its appointment still ahead is
    given back, so that another citizen may book the slot at once.

    The pré-demande itself needs no row changed: a mairie registers only a file still submitted (identity.views), so
    its number opens nothing once the file is closed; it stays, with the file, as the audit trail of what was
    filed. The récapitulatif is revoked with the file's other documents (titles.effects.revoke_documents)."""
    Slot.objects.filter(application=application, start__gt=ctx.now).update(application=None, booked_at=None)


def appointment_of(application):
    """Return the application's current appointment (a slot it holds), or None."""
    return Slot.objects.filter(application=application).select_related("mairie").first()


def deposit_lines(application):
    """Return the summary lines about the appointment and the deposit (for the recap, the PDF and the agent)."""
    lines = []
    deposit = Deposit.objects.filter(pre_demande__application=application).select_related("mairie").first()
    if deposit is not None:
        lines.append(("Dépôt en mairie", f"{deposit.mairie.name}, le {french_datetime(deposit.recorded_at)} : "
                                         f"pièces vérifiées, {fingerprints_wording(deposit.fingerprints_taken)}"))
    elif application.status == Status.SUBMITTED:
        slot = appointment_of(application)
        if slot is not None:
            lines.append(("Rendez-vous en mairie", f"{slot.mairie.name}, le {french_datetime(slot.start)}"))
    return lines


def _acting_role(application, actor):
    roles = actor_roles(application, actor)
    for role in (Actor.APPLICANT, Actor.MEDIATEUR):
        if role in roles:
            return role
    raise AppointmentRefused("actor", "Seul le demandeur peut gérer le rendez-vous de cette pré-demande.")


def _organisation_of(application, actor, role):
    if role == Actor.MEDIATEUR:
        return assisting_session(actor, application.applicant_id).place
    return None


def _locked_pre_demande(application):
    """Lock the application row (every change to its appointment or deposit is serialised on it)."""
    locked = Application.objects.select_for_update().get(pk=application.pk)
    pre_demande = PreDemande.objects.filter(application=locked).first()
    if pre_demande is None:
        raise AppointmentRefused("not_submitted", "Cette pré-demande n'est pas encore enregistrée.")
    return locked, pre_demande


def _check_open(application, pre_demande):
    if application.status != Status.SUBMITTED or Deposit.objects.filter(pre_demande=pre_demande).exists():
        raise AppointmentRefused(
            "state", "Cette pré-demande n'attend plus de rendez-vous : elle est déjà déposée en mairie ou close."
        )
    if pre_demande.is_expired:
        raise AppointmentRefused("expired", "Cette pré-demande a expiré : faites une nouvelle pré-demande.")


@transaction.atomic(durable=True)
def book_slot(application, slot_id, *, actor, now=None):
    """Book a slot for a submitted pré-demande (moving its appointment if it had one); return the slot.

    The application row, then the slot row, are locked: two citizens on the same slot are served one after the
    other, and the second one finds it taken. The conditional update is a second guard on databases without
    row locks (SQLite serialises writers instead).
    """
    now = now or timezone.now()
    role = _acting_role(application, actor)
    application, pre_demande = _locked_pre_demande(application)
    _check_open(application, pre_demande)
    slot = (
        Slot.objects.select_for_update(of=("self",)).select_related("mairie__mairie_profile").filter(pk=slot_id).first()
    )
    if slot is None:
        raise AppointmentRefused("unknown", "Ce créneau n'existe pas.")
    if slot.application_id == application.pk:
        return slot
    _check_slot(slot, application, pre_demande, now)
    previous = Slot.objects.select_for_update().filter(application=application).first()
    if previous is not None:
        Slot.objects.filter(pk=previous.pk).update(application=None, booked_at=None)
    taken = Slot.objects.filter(pk=slot.pk, application_id=slot.application_id).update(
        application=application, booked_at=now
    )
    if taken != 1:
        raise AppointmentRefused("taken", "Ce créneau vient d'être réservé : choisissez-en un autre.")
    slot.application, slot.booked_at = application, now
    when = french_datetime(slot.start)
    record_event(
        application,
        "appointment_booked",
        actor=actor,
        role=role,
        organisation=_organisation_of(application, actor, role),
        payload={
            "label": f"Rendez-vous {'déplacé' if previous else 'pris'} : {slot.mairie.name}, le {when}",
            "slot": slot.pk,
            "mairie": slot.mairie.name,
            "start": slot.start.isoformat(),
            **({"previous_slot": previous.pk, "previous_start": previous.start.isoformat()} if previous else {}),
        },
    )
    procedure = application.procedure
    notifications.AppointmentConfirmed(
        when=when,
        number=pre_demande.number_display,
        slot=slot,
        mairie=slot.mairie,
        moved=previous is not None,
        pieces=procedure.pieces(application),
        holder_name=procedure.holder_name(application),
        for_child=procedure.is_for_child(application),
        holder_age=procedure.holder_age(application),
        fingerprint_age=FINGERPRINT_MIN_AGE,
    ).send(key=f"appointment:{application.pk}:{slot.pk}:{now.isoformat()}", application=application)
    return slot


def _check_slot(slot, application, pre_demande, now):
    if slot.start <= now:
        raise AppointmentRefused("past", "Ce créneau est passé : choisissez-en un autre.")
    if not (slot.mairie.is_equipped and slot.mairie.is_active):
        raise AppointmentRefused("mairie", "Cette mairie ne reçoit pas les demandes de titres d'identité.")
    if timezone.localtime(slot.start).date() > pre_demande.expires_on:
        raise AppointmentRefused(
            "after_expiry",
            f"Ce créneau est après la fin de validité de votre pré-demande ({french_date(pre_demande.expires_on)}).",
        )
    if slot.application_id is not None:
        holder_status = Application.objects.filter(pk=slot.application_id).values_list("status", flat=True).first()
        if holder_status not in (Status.WITHDRAWN, Status.REJECTED):
            raise AppointmentRefused("taken", "Ce créneau vient d'être réservé : choisissez-en un autre.")


@transaction.atomic(durable=True)
def cancel_appointment(application, *, actor, now=None):
    """Free the pré-demande's appointment (before it starts)."""
    now = now or timezone.now()
    role = _acting_role(application, actor)
    application, pre_demande = _locked_pre_demande(application)
    _check_open(application, pre_demande)
    slot = (
        Slot.objects.select_for_update(of=("self",)).select_related("mairie").filter(application=application).first()
    )
    if slot is None:
        raise AppointmentRefused("none", "Cette pré-demande n'a pas de rendez-vous.")
    if slot.start <= now:
        raise AppointmentRefused("past", "Ce rendez-vous est passé : il ne peut plus être annulé.")
    Slot.objects.filter(pk=slot.pk).update(application=None, booked_at=None)
    when = french_datetime(slot.start)
    record_event(
        application,
        "appointment_cancelled",
        actor=actor,
        role=role,
        organisation=_organisation_of(application, actor, role),
        payload={"label": f"Rendez-vous annulé : {slot.mairie.name}, le {when}", "slot": slot.pk,
                 "start": slot.start.isoformat()},
    )
    notifications.AppointmentCancelled(when=when, mairie=slot.mairie, number=pre_demande.number_display).send(
        key=f"appointment-cancelled:{application.pk}:{slot.pk}:{now.isoformat()}", application=application
    )
    return slot


def staff_mairies(user):
    """Return the equipped mairies where `user` is an active agent (`identity.permissions.MAIRIE_AGENTS`)."""
    return Mairie.objects.filter(pk__in=MAIRIE_AGENTS.organisation_ids(user)).order_by("name")


def save_mairie(*, name, postal_code, is_equipped, **fields):
    """Create or update a mairie (an organisation of kind MAIRIE, found by name and postal code) and its profile;
    return it."""
    mairie, _ = Mairie.objects.update_or_create(name=name, postal_code=postal_code, defaults=fields)
    mairie.mairie_profile, _ = MairieProfile.objects.update_or_create(
        organisation=mairie, defaults={"is_equipped": is_equipped}
    )
    return mairie


def add_mairie_agent(user, mairie):
    """Make `user` an active agent of `mairie` (a membership with the role MAIRIE_AGENT); return the membership."""
    membership, _ = Membership.objects.update_or_create(
        user=user, organisation=mairie, defaults={"role": MAIRIE_AGENT, "is_active": True}
    )
    return membership


@transaction.atomic(durable=True)
def record_lookup(pre_demande, *, agent):
    """Write to the audit trail that a mairie agent opened this pré-demande (not shown to the citizen)."""
    names = list(staff_mairies(agent).values_list("name", flat=True))
    return record_event(
        pre_demande.application,
        "mairie_lookup",
        actor=agent,
        role=MAIRIE_ROLE,
        public=False,
        payload={"label": f"Pré-demande consultée en mairie ({', '.join(names)})", "mairies": names},
    )


@transaction.atomic(durable=True)
def record_deposit(pre_demande, *, agent, mairie, fingerprints_taken, pieces, note=""):
    """Record that the pré-demande was deposited at `mairie`: the CERT may now take it for instruction."""
    if not MAIRIE_AGENTS.is_member_of(agent, mairie.pk):
        raise AppointmentRefused("mairie", "Vous n'êtes pas agent de cette mairie, ou elle n'est pas équipée.")
    application, pre_demande = _locked_pre_demande(pre_demande.application)
    _check_open(application, pre_demande)
    if not MAIRIE.check(application, agent):  # the mairie agent's role: a second factor passed, above all
        raise AppointmentRefused("actor", "Vous n'avez pas accès à cette pré-demande.")
    procedure = application.procedure
    age = procedure.holder_age(application)
    if age is not None and age >= FINGERPRINT_MIN_AGE and not fingerprints_taken:
        raise AppointmentRefused("fingerprints", "Le relevé des empreintes est obligatoire à partir de 12 ans.")
    deposit = Deposit.objects.create(
        pre_demande=pre_demande,
        mairie=mairie,
        agent=agent,
        fingerprints_taken=fingerprints_taken,
        pieces_checked=sorted(pieces),
        note=note,
    )
    # An appointment still ahead at another mairie is no longer needed: give the slot back.
    Slot.objects.filter(application=application, start__gt=deposit.recorded_at).exclude(mairie=mairie).update(
        application=None, booked_at=None
    )
    record_event(
        application,
        "mairie_deposit",
        actor=agent,
        role=MAIRIE_ROLE,
        payload={
            "label": f"Demande déposée à {mairie.name} : pièces vérifiées, {fingerprints_wording(fingerprints_taken)}",
            "mairie": mairie.name,
            "mairie_id": mairie.pk,
            "fingerprints_taken": fingerprints_taken,
            "pieces": sorted(pieces),
        },
    )
    notifications.Deposited(
        title_label=pre_demande.get_kind_display().lower(),
        mairie=mairie,
        number=pre_demande.number_display,
        cert_name=application.cert.name if application.cert_id else "",
    ).send(key=f"deposit:{deposit.pk}", application=application)
    return deposit


def expire_pre_demandes(today=None):
    """Close the pré-demandes past their validity that were never deposited; return how many."""
    today = today or timezone.localdate()
    expired = PreDemande.objects.filter(
        expires_on__lt=today, application__status=Status.SUBMITTED, deposit__isnull=True
    ).select_related("application")
    count = 0
    for pre_demande in expired:
        try:
            apply_transition(pre_demande.application, "close", actor=None,
                             reason=EXPIRY_REASON.format(months=PRE_DEMANDE_VALIDITY_MONTHS))
        except InvalidTransition as error:  # deposited meanwhile: the guard refuses, and rightly so
            logger.info("Pré-demande %s non close : %s", pre_demande.number, error.reason)
            continue
        count += 1
    return count
