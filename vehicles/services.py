"""The write path of the vehicle register: proving ownership, checking a code de cession (with its lockouts),
registering a cession, transferring a vehicle, changing its address, duplicatas, new certificates, SIV numbers,
and the deadline reminders.

The register writes a procedure declares (`register_cession`, `transfer_ownership`, … each with its undo:
`cancel_cession`, `undo_transfer`, `undo_address_change`, `undo_duplicata`) run inside the engine's transition
transaction and take `(application, ctx)`, ctx being the transition's `titles.effects.Context`; the checks called
from a step form (`prove_ownership`, `verify_code_de_cession`) open their own, so that a failed attempt is recorded
even though the form refuses.
"""

import datetime
import logging
from dataclasses import dataclass

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

import core.exceptions
from core.formats import french_date
from titles import services as titles_services
from titles.workflow import InvalidTransition
from vehicles import notifications, selectors
from vehicles.deadlines import changement_titulaire_deadline
from vehicles.enums import (
    CODE_DE_CESSION_VALID_DAYS,
    FAILURES_PER_ACCOUNT,
    FAILURES_PER_ACCOUNT_AND_VEHICLE,
    LOCKOUT,
    REMIND_BEFORE,
    STICKERS_PER_CERTIFICATE,
    AttemptKind,
    BuyerKind,
    HolderRole,
    OperationKind,
)
from vehicles.formats import new_code_de_cession, new_numero_formule, next_siv, normalise_name
from vehicles.models import Cession, CodeAttempt, Holder, SivSeries, Vehicle, VehicleFile, VehicleOperation

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
# Where the embedded register's SIV series starts (numbers already in the register are skipped).
SIV_SERIES_START = "HA-001-AA"


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


def record_vehicle(application, *, vehicle_id, cession_id=None):
    """Record the vehicle (and the cession taken up) a file's first step established, replacing what an earlier
    save of that step recorded; inside the caller's transaction (`titles.services.save_step`)."""
    return VehicleFile.objects.update_or_create(
        application=application, defaults={"vehicle_id": vehicle_id, "cession_id": cession_id,
                                           "recorded_at": timezone.now()},
    )[0]


def vehicle_of(application):
    """Return the vehicle an application is about (recorded by its first step), or None."""
    return Vehicle.objects.filter(files__application=application).first()


def cession_of(application):
    """Return the cession a changement de titulaire takes up (recorded by its first step), or None."""
    return Cession.objects.select_related("vehicle", "application__applicant").filter(
        buyer_files__application=application).first()


# --- Attempts and lockouts -------------------------------------------------------------------------------------


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


# --- The register ----------------------------------------------------------------------------------------------


def allocate_siv_number():
    """Return the next free number of the SIV series (inside the caller's transaction; the row is locked)."""
    series, _ = SivSeries.objects.select_for_update().get_or_create(pk=1, defaults={"last_issued": SIV_SERIES_START})
    number = next_siv(series.last_issued)
    while Vehicle.objects.filter(registration_number=number).exists():
        number = next_siv(number)
    series.last_issued = number
    series.save(update_fields=["last_issued"])
    return number


def _new_formule():
    year = timezone.localdate().year
    while True:
        formule = new_numero_formule(year)
        if not Vehicle.objects.filter(numero_formule=formule).exists():
            return formule


def _record(vehicle, kind, detail, application=None, **payload):
    return VehicleOperation.objects.create(vehicle=vehicle, kind=kind, detail=detail, application=application,
                                           payload=payload)


def _move_to_siv(vehicle, application):
    """Give an FNI vehicle its SIV number, for life (any operation on an FNI certificate moves it to the SIV)."""
    old = vehicle.registration_number
    vehicle.registration_number = allocate_siv_number()
    _record(vehicle, OperationKind.PASSAGE_SIV, f"{old} devient {vehicle.registration_number}", application,
            old=old, new=vehicle.registration_number)
    return old


def _before(vehicle, *names):
    """Return what an operation replaces, kept in its history row so that its undo can put it back.

    The row's payload is shown to nobody (the admin lists kind and detail); a numéro de formule kept there is the
    same secret the vehicle row holds, and proves nothing once the vehicle has another one."""
    return {name: getattr(vehicle, name) for name in names}


# Why an undo runs, as the history says it.
WAY_OUT_WORDS = {
    "withdraw": "demande retirée",
    "reject": "demande refusée par le CERT",
    "close": "dossier clos par le portail",
}


def _undone(application):
    """Whether this file's operations were already undone (an undo runs once; a second call is a no-op)."""
    return VehicleOperation.objects.filter(application=application, kind=OperationKind.ANNULATION).exists()


def _operation(application, kind):
    return VehicleOperation.objects.filter(application=application, kind=kind).order_by("-at", "-pk").first()


def _locked_vehicle(application):
    vehicle_id = VehicleFile.objects.values_list("vehicle_id", flat=True).get(application=application)
    return Vehicle.objects.select_for_update().get(pk=vehicle_id)


def sold_refusal(vehicle, now=None):
    """Return the message refusing an operation by the seller on a vehicle whose cession is declared, or None."""
    cession = vehicle.cessions.code_valid(now).first()
    if cession is None:
        return None
    return (f"Ce véhicule a été déclaré cédé le {french_date(cession.sold_at)} : "
            "seul l'acquéreur peut désormais faire des démarches pour lui.")


def sold_at_of(application):
    data = application.data["cession"]
    moment = datetime.datetime.combine(datetime.date.fromisoformat(data["sold_on"]),
                                       datetime.time.fromisoformat(data["sold_time"]))
    return timezone.make_aware(moment)


def register_cession(application, actor):
    """Register the seller's declaration (on submission): the cession, its code (kept hashed), the history, the
    buyer's invitation. Return the plain code, to print on the accusé and show once."""
    now = timezone.now()
    vehicle = _locked_vehicle(application)
    refusal = sold_refusal(vehicle, now)
    if refusal:
        raise InvalidTransition("cession_open", refusal)
    if vehicle.opposition or vehicle.vol:
        raise InvalidTransition("situation", "Une opposition ou une déclaration de vol empêche la cession de ce "
                                             "véhicule : adressez-vous à la préfecture.")
    # A cession whose code expired unused is replaced: the new declaration gives a new code.
    vehicle.cessions.open().update(cancelled_at=now)
    buyer = application.data["acquereur"]
    code = new_code_de_cession()
    cession = Cession.objects.create(
        vehicle=vehicle,
        application=application,
        sold_at=sold_at_of(application),
        mileage=application.data["cession"]["mileage"],
        buyer_kind=buyer["buyer_kind"],
        buyer_family_name=buyer.get("family_name") or "",
        buyer_given_names=buyer.get("given_names") or "",
        buyer_company_name=buyer.get("company_name") or "",
        buyer_siren=buyer.get("siren") or "",
        buyer_email=buyer.get("email") or "",
        code_hash=hash_code(code),
        code_expires_at=now + datetime.timedelta(days=CODE_DE_CESSION_VALID_DAYS),
        created_at=now,
    )
    _record(vehicle, OperationKind.CESSION, f"Cession à {cession.buyer_name} déclarée par "
                                           f"{application.applicant.get_full_name()}", application,
            sold_at=cession.sold_at.isoformat(), mileage=cession.mileage)
    if cession.buyer_email:
        notifications.BuyerInvitation(
            cession=cession, vehicle=vehicle, seller_name=application.applicant.get_full_name(),
            registration_number=vehicle.registration_number, url=notifications.acquisition_url(
                vehicle.registration_number), deadline=changement_titulaire_deadline(cession.sold_at),
            code_expires_at=timezone.localtime(cession.code_expires_at),
        ).send(key=f"vehicles:invitation:{cession.pk}", to=cession.buyer_email, application=application)
    return cession, code


def transfer_ownership(application, ctx):
    """Take up the cession (on the buyer's submission): exactly one changement de titulaire per code, whatever the
    concurrency — the cession row is locked and the database refuses a second `used_by_application`."""
    now = timezone.now()
    cession_id = VehicleFile.objects.values_list("cession_id", flat=True).get(application=application)
    cession = Cession.objects.select_for_update().get(pk=cession_id)
    if cession.used_by_application_id is not None:
        raise InvalidTransition("cession_used", CODE_USED)
    if cession.cancelled_at is not None:
        raise InvalidTransition("cession_cancelled", "Le vendeur a remplacé cette déclaration de cession : "
                                                     "demandez-lui le nouveau code.")
    cession.used_by_application = application
    cession.used_at = now
    cession.save(update_fields=["used_by_application", "used_at"])

    vehicle = Vehicle.objects.select_for_update().get(pk=cession.vehicle_id)
    if vehicle.blocks_transfer:
        raise InvalidTransition("situation", "La situation administrative de ce véhicule interdit son transfert.")
    holder = application.data["titulaire"]
    applicant = application.applicant
    before = _before(vehicle, "numero_formule", "stickers", "address_line", "postal_code", "city")
    vehicle.holders.current().update(until=now)
    if cession.buyer_kind == BuyerKind.COMPANY:
        Holder.objects.create(vehicle=vehicle, user=applicant, family_name=cession.buyer_company_name.upper(),
                              siren=cession.buyer_siren, since=now)
    else:
        Holder.objects.create(vehicle=vehicle, user=applicant, family_name=applicant.usage_name.upper()
                              or applicant.family_name.upper(), given_names=applicant.given_names.upper(), since=now)
    if holder.get("cotitulaire_family_name"):
        Holder.objects.create(vehicle=vehicle, role=HolderRole.COTITULAIRE,
                              family_name=holder["cotitulaire_family_name"].upper(),
                              given_names=(holder.get("cotitulaire_given_names") or "").upper(), since=now)
    vehicle.address_line, vehicle.postal_code, vehicle.city = (holder["address_line"], holder["postal_code"],
                                                               holder["city"])
    if not vehicle.is_siv:
        _move_to_siv(vehicle, application)
    # The old certificate, crossed out and handed to the buyer, proves nothing any more.
    vehicle.numero_formule = ""
    vehicle.stickers = 0
    vehicle.save()
    _record(vehicle, OperationKind.CHANGEMENT_TITULAIRE, f"Nouveau titulaire : {applicant.get_full_name()}",
            application, cession=cession.pk, before=before)
    seller = cession.application.applicant
    notifications.BuyerCompleted(
        seller=seller, vehicle=vehicle, registration_number=vehicle.registration_number, cession=cession,
        url=notifications.my_vehicles_url(),
    ).send(key=f"vehicles:buyer-completed:{cession.pk}", to=seller.email, application=cession.application)
    return vehicle


def undo_transfer(application, ctx):
    """Undo what a changement de titulaire's submission registered, when the file is withdrawn, refused or closed:
    the buyer's holding ends, the previous holders are back on the card with its numéro de formule, address and
    étiquettes (the seller can prove ownership and declare again), and the code de cession is free again (the buyer
    files anew while it is valid; past that the seller declares again). The passage to an SIV number, if any,
    stays: the number is the vehicle's for life and the CPI printed with it is revoked with the file."""
    cession = Cession.objects.select_for_update().filter(used_by_application=application).first()
    if cession is None:
        return None
    vehicle = Vehicle.objects.select_for_update().get(pk=cession.vehicle_id)
    # Read first: the buyer's holding may end at the very instant it began (same clock reading).
    previous = list(vehicle.holders.filter(until=cession.used_at).values_list("pk", flat=True))
    vehicle.holders.filter(since=cession.used_at, until__isnull=True).update(until=ctx.now)
    vehicle.holders.filter(pk__in=previous).update(until=None)
    operation = _operation(application, OperationKind.CHANGEMENT_TITULAIRE)
    before = (operation.payload.get("before") if operation else None) or {}
    for name, value in before.items():
        setattr(vehicle, name, value)
    vehicle.save()
    _record(vehicle, OperationKind.ANNULATION, f"Changement de titulaire annulé ({WAY_OUT_WORDS[ctx.transition.name]})"
            " : le certificat reste au nom du titulaire précédent", application, cession=cession.pk,
            transition=ctx.transition.name)
    cession.used_by_application = None
    cession.used_at = None
    cession.save(update_fields=["used_by_application", "used_at"])
    return vehicle


def cancel_cession(application, ctx):
    """Undo a déclaration de cession when it is withdrawn or refused: the cession is cancelled, so the vehicle is
    no longer declared sold, its code unlocks nothing and the seller may declare again. Refused once the buyer has
    taken the cession up (their changement de titulaire must end first)."""
    cession = Cession.objects.select_for_update().filter(application=application).first()
    if cession is None or cession.cancelled_at is not None:
        return None
    if cession.used_by_application_id is not None:
        raise InvalidTransition("cession_used", "L'acquéreur a déjà fait le changement de titulaire avec ce code de "
                                                "cession : la déclaration ne peut plus être annulée.")
    cession.cancelled_at = ctx.now
    cession.save(update_fields=["cancelled_at"])
    _record(cession.vehicle, OperationKind.ANNULATION, f"Déclaration de cession annulée "
            f"({WAY_OUT_WORDS[ctx.transition.name]}) : le véhicule n'est plus déclaré cédé", application,
            cession=cession.pk, transition=ctx.transition.name)
    return cession


def change_address(application, ctx):
    """Record the new address (on submission). Return the outcome: an étiquette for the first three changes of
    an SIV certificate, a new certificate for the fourth; an FNI vehicle moves to an SIV number (and a CPI)."""
    vehicle = _locked_vehicle(application)
    refusal = sold_refusal(vehicle)
    if refusal:
        raise InvalidTransition("cession_open", refusal)
    address = application.data["adresse"]
    old_address = vehicle.address_display
    before = _before(vehicle, "address_line", "postal_code", "city", "stickers")
    vehicle.address_line, vehicle.postal_code, vehicle.city = (address["address_line"], address["postal_code"],
                                                               address["city"])
    outcome = {"old_address": old_address, "new_address": vehicle.address_display}
    if not vehicle.is_siv:
        outcome.update(result="nouveau_certificat", old_number=_move_to_siv(vehicle, application))
    elif vehicle.stickers < STICKERS_PER_CERTIFICATE:
        vehicle.stickers += 1
        outcome.update(result="etiquette", sticker=vehicle.stickers)
    else:
        outcome.update(result="nouveau_certificat")
    vehicle.save()
    _record(vehicle, OperationKind.CHANGEMENT_ADRESSE, f"Nouvelle adresse : {vehicle.address_display}",
            application, before=before, **outcome)
    if outcome["result"] == "etiquette":
        _record(vehicle, OperationKind.ETIQUETTE, f"Étiquette n° {vehicle.stickers} envoyée au titulaire",
                application, sticker=vehicle.stickers)
    return outcome


def address_change_outcome(application):
    operation = VehicleOperation.objects.filter(application=application,
                                                kind=OperationKind.CHANGEMENT_ADRESSE).first()
    return {key: value for key, value in operation.payload.items() if key != "before"} if operation else {}


def undo_address_change(application, ctx):
    """Put the old address and étiquette count back when a changement d'adresse is withdrawn or refused.

    A move from an FNI number to an SIV one stays (the history says so): the SIV number is the vehicle's for life,
    once given it is never given back nor to another vehicle, and the old FNI number was dropped from the
    register."""
    operation = _operation(application, OperationKind.CHANGEMENT_ADRESSE)
    if operation is None or _undone(application):
        return None
    vehicle = Vehicle.objects.select_for_update().get(pk=operation.vehicle_id)
    for name, value in (operation.payload.get("before") or {}).items():
        setattr(vehicle, name, value)
    vehicle.save()
    kept = (f" ; le numéro SIV {vehicle.registration_number} reste attribué au véhicule"
            if operation.payload.get("old_number") else "")
    _record(vehicle, OperationKind.ANNULATION, (f"Changement d'adresse annulé ({WAY_OUT_WORDS[ctx.transition.name]})"
            f" : retour à l'adresse {vehicle.address_display}{kept}")[:255], application,
            transition=ctx.transition.name)
    return vehicle


def register_duplicata(application, ctx):
    """Record the request (on submission): the lost, stolen or damaged certificate's numéro de formule stops
    proving ownership at once; an FNI vehicle moves to an SIV number."""
    vehicle = _locked_vehicle(application)
    refusal = sold_refusal(vehicle)
    if refusal:
        raise InvalidTransition("cession_open", refusal)
    reason = application.data["motif"]
    revoked = vehicle.numero_formule
    vehicle.numero_formule = ""
    if not vehicle.is_siv:
        _move_to_siv(vehicle, application)
    vehicle.save()
    _record(vehicle, OperationKind.DUPLICATA, f"Duplicata demandé ({reason['reason']})", application,
            reason=reason["reason"], revoked_formule=revoked[-4:] if revoked else "",
            before={"numero_formule": revoked})
    return vehicle


def undo_duplicata(application, ctx):
    """Give the certificate its numéro de formule back when a duplicata is withdrawn or refused: the card the holder
    still has proves ownership again. A move from an FNI number to an SIV one stays (see undo_address_change)."""
    operation = _operation(application, OperationKind.DUPLICATA)
    if operation is None or _undone(application):
        return None
    vehicle = Vehicle.objects.select_for_update().get(pk=operation.vehicle_id)
    revoked = (operation.payload.get("before") or {}).get("numero_formule", "")
    if revoked and not vehicle.numero_formule:
        vehicle.numero_formule = revoked
        vehicle.save(update_fields=["numero_formule", "updated_at"])
    _record(vehicle, OperationKind.ANNULATION, f"Demande de duplicata annulée ({WAY_OUT_WORDS[ctx.transition.name]})"
            " : le certificat en circulation reste valable", application, transition=ctx.transition.name)
    return vehicle


def issue_certificate(application, ctx):
    """Issue the new certificate (on acceptance): a new numéro de formule, dated today, with no étiquette."""
    vehicle = _locked_vehicle(application)
    vehicle.numero_formule = _new_formule()
    vehicle.certificate_date = timezone.localdate()
    vehicle.stickers = 0
    vehicle.save(update_fields=["numero_formule", "certificate_date", "stickers", "updated_at"])
    _record(vehicle, OperationKind.NOUVEAU_CERTIFICAT, "Nouveau certificat d'immatriculation édité", application)
    return vehicle


SITUATION_FIELDS = ("gage", "opposition", "vol", "immobilisation")


@transaction.atomic
def set_situation(vehicle, *, by, **flags):
    """Record a change of situation administrative (gage, OTCI, vol, immobilisation) in the vehicle's history."""
    locked = Vehicle.objects.select_for_update().get(pk=vehicle.pk)
    changes = {name: bool(value) for name, value in flags.items()
               if name in SITUATION_FIELDS and bool(value) != getattr(locked, name)}
    if not changes:
        return locked
    for name, value in changes.items():
        setattr(locked, name, value)
    locked.save(update_fields=[*changes, "updated_at"])
    labels = dict((field, label) for field, (label, _) in zip(SITUATION_FIELDS, locked.situation_lines, strict=True))
    detail = " ; ".join(f"{labels[name]} : {'inscrit' if value else 'levé'}" for name, value in changes.items())
    _record(locked, OperationKind.SITUATION, detail[:255], by=by.pk if by else None, **changes)
    return locked


@transaction.atomic
def start_for_vehicle(procedure, vehicle, *, user):
    """Open a draft of `procedure` for a vehicle `user` holds, the plate and their name filled in (not the formule:
    typing it is the proof)."""
    application = titles_services.create_draft(procedure, applicant=user, filed_by=user)
    owner = {**application.data.get("vehicule", {}), "registration_number": vehicle.registration_number}
    titles_services.save_step(application, "vehicule", owner)
    return application


@transaction.atomic
def start_acquisition(procedure, *, user, registration_number=""):
    """Open the buyer's changement de titulaire, the plate filled in (from the seller's invitation)."""
    application = titles_services.create_draft(procedure, applicant=user, filed_by=user)
    if registration_number:
        titles_services.save_step(application, "vehicule", {"registration_number": registration_number})
    return application


def notify_client_of_professional(application):
    """Tell the citizen what a professional filed in their name, with a way to object (their mandates)."""
    if not application.organisation_id:
        return
    vehicle = vehicle_of(application)
    notifications.FiledByProfessional(
        applicant=application.applicant, organisation=application.organisation.name,
        filer=application.filed_by.get_full_name(), procedure_label=application.procedure_label,
        reference=application.reference, registration_number=vehicle.registration_number if vehicle else "",
        url=notifications.absolute(reverse("titles:detail", kwargs={"reference": application.reference})),
        mandates_url=notifications.absolute(reverse("titles:mandates")),
    ).send(key=f"vehicles:pro-filed:{application.pk}", to=application.applicant.email, application=application)


# --- Deadlines -------------------------------------------------------------------------------------------------


def send_deadline_reminders(now=None):
    """E-mail each person concerned once, REMIND_BEFORE a deadline (idempotent: one e-mail per deadline and
    person, whatever how often it runs). Return the number of e-mails written."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    horizon = today + datetime.timedelta(days=REMIND_BEFORE.days)
    sent = 0
    for item in selectors.deadlines(now=now):
        if not today <= item.deadline <= horizon:
            continue
        for person in item.recipients:
            with transaction.atomic():
                email = notifications.DeadlineReminder(
                    person=person, what=item.what, deadline=item.deadline, advice=item.advice,
                    deadline_display=french_date(item.deadline), url=notifications.absolute(item.url),
                ).send(key=f"vehicles:reminder:{item.key}:{person.pk}", to=person.email)
            sent += email is not None
    return sent
