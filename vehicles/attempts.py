"""The checks a step form makes against the register, and their lockouts: proving ownership of a vehicle
(`prove_ownership`) and checking a code de cession (`verify_code_de_cession`).

Each opens its own transaction, so that a failed attempt is recorded even though the form refuses; an account's own
failures lock it out for a while (`vehicles.enums.LOCKOUT`), and the seller hears of an account typing wrong codes
for their vehicle. The register keeps a code de cession only hashed (`hash_code`).
"""

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

import core.exceptions
from core.formats import french_date
from vehicles import notifications
from vehicles.enums import FAILURES_PER_ACCOUNT, FAILURES_PER_ACCOUNT_AND_VEHICLE, LOCKOUT, AttemptKind, BuyerKind
from vehicles.formats import normalise_name
from vehicles.models import CodeAttempt, Holder, Vehicle

logger = logging.getLogger(__name__)

# The one answer to a wrong combination: it never says which part was wrong.
OWNERSHIP_REFUSED = (
    "Ces informations ne correspondent à aucun véhicule pour lequel vous pouvez faire cette démarche. Vérifiez le "
    "numéro d'immatriculation, le numéro de formule (ou la date du certificat) et le nom tel qu'il est inscrit sur "
    "le certificat d'immatriculation."
)
CODE_REFUSED = (
    "Le numéro d'immatriculation et le code de cession ne correspondent pas. Vérifiez-les avec le vendeur : le code "
    "figure sur son exemplaire de l'accusé d'enregistrement de la déclaration de cession."
)
ACCOUNT_LOCKED = "Trop d'essais infructueux depuis votre compte : par sécurité, réessayez dans une heure."
VEHICLE_LOCKED = ("Trop d'essais infructueux pour ce véhicule depuis votre compte : par sécurité, réessayez dans une "
                  "heure.")
SELLER_TOLD = " Le vendeur en est informé."
CODE_USED = ("Ce code de cession a déjà été utilisé : le changement de titulaire de ce véhicule est déjà "
             "enregistré. Si ce n'est pas vous qui l'avez fait, contactez le vendeur.")


class Refused(core.exceptions.Refused):
    """A check of the register that refuses (ownership, code de cession), with the French message to show."""

    def __init__(self, reason):
        super().__init__("register", reason)


@dataclass(frozen=True)
class Proof:
    vehicle: Vehicle
    holder: Holder


def hash_code(code):
    """Return the HMAC-SHA256 of a normalised code de cession, keyed by SECRET_KEY: what the register keeps."""
    return salted_hmac("vehicles.code_de_cession", code, algorithm="sha256").hexdigest()


def _failures(since, **filters):
    return CodeAttempt.objects.filter(success=False, created_at__gte=since, **filters).count()


def _lockout(kind, user, vehicle, now):
    """Return the message refusing this account's attempt outright, or None.

    Only this account's own failures count: others' failures never lock out someone who holds the right code."""
    since = now - LOCKOUT
    if _failures(since, user=user) >= FAILURES_PER_ACCOUNT:
        return ACCOUNT_LOCKED
    if vehicle is not None and _failures(since, user=user, vehicle=vehicle, kind=kind) >= (
            FAILURES_PER_ACCOUNT_AND_VEHICLE):
        return VEHICLE_LOCKED + (SELLER_TOLD if kind == AttemptKind.CODE_DE_CESSION else "")
    return None


def holder_matches(holder, family_name, given_names):
    """Whether a typed name is the holder's as printed: same name, and the given names typed are the first ones
    printed, in order (« ANGELA » or « ANGELA CLAIRE » for ANGELA CLAIRE LOUISE)."""
    if normalise_name(family_name) != normalise_name(holder.family_name):
        return False
    printed = normalise_name(holder.given_names).split()
    typed = normalise_name(given_names).split()
    if not printed:
        return not typed
    return bool(typed) and typed == printed[: len(typed)]


def prove_ownership(*, registration, applicant, actor, family_name, given_names="", numero_formule="",
                    certificate_date=None, vin="", record=True):
    """Return the Proof that `applicant` may act on the vehicle, or raise Refused with the one generic message.

    The proof is the registration number, the numéro de formule (SIV) or the date of the certificate (FNI) — or,
    for a duplicata, the VIN when the register links the holder to the applicant's account — and the name of a
    current holder as printed. A holder linked to another account never proves anything for this one.
    """
    now = timezone.now()
    with transaction.atomic():
        vehicle = Vehicle.objects.select_for_update().filter(registration_number=registration).first()
        if record:
            locked = _lockout(AttemptKind.OWNERSHIP, actor, vehicle, now)
            if locked:
                raise Refused(locked)
        holder = None
        if vehicle is not None:
            if vin:
                secret_ok = constant_time_compare(vin, vehicle.vin)
            elif vehicle.is_siv:
                secret_ok = bool(vehicle.numero_formule) and constant_time_compare(numero_formule,
                                                                                   vehicle.numero_formule)
            else:
                secret_ok = certificate_date is not None and certificate_date == vehicle.certificate_date
            if secret_ok:
                holder = next(
                    (h for h in vehicle.holders.current() if holder_matches(h, family_name, given_names)
                     and (h.user_id == applicant.pk if vin else h.user_id in (None, applicant.pk))),
                    None,
                )
        if holder is None and record:
            CodeAttempt.objects.create(kind=AttemptKind.OWNERSHIP, user=actor, vehicle=vehicle, success=False)
    if holder is None:
        raise Refused(OWNERSHIP_REFUSED)
    return Proof(vehicle, holder)


def buyer_matches(cession, user):
    """Whether `user` is the buyer the seller declared: the same e-mail, or (for a person) the same name."""
    if cession.buyer_email and cession.buyer_email.lower() == user.email.lower():
        return True
    if cession.buyer_kind != BuyerKind.PERSON:
        return False
    names = {normalise_name(user.family_name), normalise_name(user.usage_name)} - {""}
    if normalise_name(cession.buyer_family_name) not in names:
        return False
    declared = set(normalise_name(cession.buyer_given_names).split())
    return not declared or bool(declared & set(normalise_name(user.given_names).split()))


def verify_code_de_cession(*, registration, code, applicant, actor, application, record=True):
    """Return the open Cession the code unlocks for `applicant`, or raise Refused.

    A wrong plate or code gets one generic message. A wrong code counts as a failed attempt only against an open
    cession (elsewhere there is nothing to guess). After FAILURES_PER_ACCOUNT_AND_VEHICLE failures in an hour on a
    vehicle, that account's attempts on it are refused for an hour and the seller is told (once a day at most);
    an account gets FAILURES_PER_ACCOUNT failures an hour, whatever the vehicles. Another account — the real
    buyer — is never held back by them. A right code records a success linked to the application: the step's data
    keeps the cession's id, never the code.
    """
    now = timezone.now()
    message = None
    with transaction.atomic():
        vehicle = Vehicle.objects.select_for_update().filter(registration_number=registration).first()
        if record:
            locked = _lockout(AttemptKind.CODE_DE_CESSION, actor, vehicle, now)
            if locked:
                raise Refused(locked)
        cession = None
        if vehicle is not None:
            cession = vehicle.cessions.filter(cancelled_at__isnull=True).select_related(
                "application__applicant").order_by("-created_at").first()
        if cession is None or not constant_time_compare(cession.code_hash, hash_code(code)):
            if record and cession is not None and cession.is_open:
                CodeAttempt.objects.create(kind=AttemptKind.CODE_DE_CESSION, user=actor, vehicle=vehicle,
                                           cession=cession, application=application, success=False)
                if _failures(now - LOCKOUT, user=actor, vehicle=vehicle, kind=AttemptKind.CODE_DE_CESSION) == (
                        FAILURES_PER_ACCOUNT_AND_VEHICLE):
                    _tell_seller_of_lockout(vehicle, cession, now)
            message = CODE_REFUSED
        elif cession.used_by_application_id:
            message = CODE_USED
        elif cession.code_expires_at <= now:
            expired_on = french_date(cession.code_expires_at)
            message = (f"Ce code de cession a expiré le {expired_on} (il est valable 15 jours) : demandez au vendeur "
                       "de déclarer à nouveau la cession pour obtenir un nouveau code.")
        elif vehicle.blocks_transfer:
            message = ("La situation administrative de ce véhicule (opposition, vol ou immobilisation) interdit son "
                       "transfert : adressez-vous au vendeur.")
        elif not buyer_matches(cession, applicant):
            message = ("Le code est juste, mais le vendeur a déclaré un autre acquéreur : le changement de titulaire "
                       "doit être fait au nom de l'acquéreur déclaré, avec son compte (même nom ou même adresse "
                       "électronique que dans la déclaration).")
        elif record:
            CodeAttempt.objects.create(kind=AttemptKind.CODE_DE_CESSION, user=actor, vehicle=vehicle,
                                       cession=cession, application=application, success=True)
    if message:
        raise Refused(message)
    return cession


def verified_cession(application, registration):
    """Return the open cession this application already unlocked with the right code for this plate, or None."""
    attempt = CodeAttempt.objects.filter(
        application=application, success=True, kind=AttemptKind.CODE_DE_CESSION,
        cession__vehicle__registration_number=registration, cession__cancelled_at__isnull=True,
    ).select_related("cession__vehicle").order_by("-created_at").first()
    return attempt.cession if attempt else None


def _tell_seller_of_lockout(vehicle, cession, now):
    """Warn the seller that an account is typing wrong codes for their vehicle: one e-mail a day per vehicle at
    most, however many accounts get locked (the key makes the row unique)."""
    logger.warning("Codes de cession erronés : un compte bloqué pendant %s sur le véhicule %s", LOCKOUT, vehicle.pk)
    seller = cession.application.applicant
    notifications.CodeLockout(
        user=seller, registration_number=vehicle.registration_number, url=notifications.my_vehicles_url(),
    ).send(key=f"vehicles:lockout:{vehicle.pk}:{timezone.localdate(now):%Y%m%d}", to=seller.email)
