"""The vehicle register (our SIV) and its history: registering a cession, transferring a vehicle, changing its
address, duplicatas, new certificates, SIV numbers, the situation administrative.

The register writes a procedure declares (`register_cession`, `transfer_ownership`, … each with its undo:
`cancel_cession`, `undo_transfer`, `undo_address_change`, `undo_duplicata`) run inside the engine's transition
transaction and take `(application, ctx)`, ctx being the transition's `titles.effects.Context`. Every write leaves
a line in the vehicle's history (`VehicleOperation`); an undo is idempotent and leaves one too.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from core.formats import french_date
from titles.workflow import InvalidTransition
from vehicles import notifications
from vehicles.attempts import CODE_USED, hash_code
from vehicles.deadlines import changement_titulaire_deadline
from vehicles.enums import CODE_DE_CESSION_VALID_DAYS, STICKERS_PER_CERTIFICATE, BuyerKind, HolderRole, OperationKind
from vehicles.formats import new_code_de_cession, new_numero_formule, next_siv
from vehicles.models import Cession, Holder, SivSeries, Vehicle, VehicleFile, VehicleOperation

# Where the embedded register's SIV series starts (numbers already in the register are skipped).
SIV_SERIES_START = "HA-001-AA"


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
