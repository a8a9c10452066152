"""Two changes of the names on a certificate without a sale: the changement d'état civil of a holder (a name taken
or given up at a marriage or a divorce, a change of name or given names) and the addition or removal of a
cotitulaire. The holder proves ownership as for any operation; the register changes on submission (the holders'
names, the cotitulaire rows) with its undo on every way out; a new certificate (new numéro de formule) is issued on
acceptance. The fees and their sources are in docs/glossary.md (« changement d'état civil », « cotitulaire »).
"""

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from core.formats import euros, french_date
from titles.enums import Filer
from titles.procedures import FeeLine, RegisterWrite, RequiredDocument, Step
from titles.registry import registry
from titles.services import queue_document
from titles.workflow import InvalidTransition
from vehicles import services
from vehicles.attempts import holder_matches
from vehicles.enums import (
    CHANGEMENT_ETAT_CIVIL,
    COTITULAIRE,
    PRO_AUTO,
    REDEVANCE_ACHEMINEMENT_CENTS,
    TAXE_FIXE_CENTS,
    HolderRole,
    OperationKind,
)
from vehicles.fees import RateUnknown, fixed_lines, taxe_regionale_line
from vehicles.formats import departement_of, normalise_name
from vehicles.forms import DATE_WIDGET, OwnershipForm, VehicleStepForm
from vehicles.models import Holder
from vehicles.procedures import CPI, IDENTITY, IMAGE_OR_PDF, RECEPISSE, VehicleProcedure
from vehicles.register import (
    WAY_OUT_WORDS,
    _locked_vehicle,
    _move_to_siv,
    _operation,
    _record,
    _undone,
    issue_certificate,
    sold_refusal,
)


class CivilStatusChange(models.TextChoices):
    MARRIAGE = "marriage", "Mariage ou PACS : nom d'usage (nom de l'époux ou de l'épouse, ou les deux noms)"
    DIVORCE = "divorce", "Divorce ou fin du PACS : retour au nom de naissance"
    NAME = "name", "Changement de nom ou de prénom (décision de l'officier d'état civil ou décret)"


class CotitulaireOperation(models.TextChoices):
    ADD = "add", "Ajouter un cotitulaire"
    REMOVE = "remove", "Retirer un cotitulaire"


class CotitulaireReason(models.TextChoices):
    COUPLE = "couple", "Mariage ou PACS avec le titulaire (ajout du conjoint ou du partenaire)"
    SEPARATION = "separation", "Divorce, fin du PACS ou séparation"
    DEATH = "death", "Décès du cotitulaire"
    OTHER = "other", "Autre raison"


# Y1 is not due for these: no new holder, or the spouse added after the marriage (docs/glossary.md).
Y1_EXEMPT_ADDITION = frozenset({CotitulaireReason.COUPLE})


def printed(name):
    """Return a name as the certificate prints it: capitals, single spaces (hyphens and accents kept)."""
    return " ".join(str(name or "").split()).upper()


def not_in_future(value):
    if value and value > timezone.localdate():
        raise ValidationError("La date ne peut pas être dans le futur.")


def proving_holder(vehicle, application):
    """Return the current holder whose name the applicant typed to prove ownership (step « vehicule »)."""
    typed = application.data.get("vehicule") or {}
    return next((h for h in vehicle.holders.current() if holder_matches(h, typed.get("family_name", ""),
                                                                          typed.get("given_names", ""))
                 and h.user_id in (None, application.applicant_id)), None)


def _locked_for_change(application):
    vehicle = _locked_vehicle(application)
    refusal = sold_refusal(vehicle)
    if refusal:
        raise InvalidTransition("cession_open", refusal)
    if vehicle.blocks_transfer:
        raise InvalidTransition("situation", "La situation administrative de ce véhicule (opposition, vol ou "
                                             "immobilisation) empêche de modifier sa carte grise : adressez-vous à "
                                             "la préfecture.")
    return vehicle


def _siv_outcome(vehicle, application):
    """Move an FNI vehicle to its SIV number (any operation does): return the old number, or ""."""
    return _move_to_siv(vehicle, application) if not vehicle.is_siv else ""


# --- Changement d'état civil: the register writes -------------------------------------------------------------


def rename_holder(application, ctx):
    """Print the holder's new names on the register (on submission), keeping the old ones in the history row."""
    vehicle = _locked_for_change(application)
    holder = proving_holder(vehicle, application)
    if holder is None:
        raise InvalidTransition("holder", "Le titulaire indiqué ne figure plus sur la carte grise de ce véhicule.")
    change = application.data["etat-civil"]
    before = {"holder": holder.pk, "family_name": holder.family_name, "given_names": holder.given_names}
    holder.family_name = printed(change["new_family_name"])
    holder.given_names = printed(change["new_given_names"])
    holder.save(update_fields=["family_name", "given_names"])
    old_number = _siv_outcome(vehicle, application)
    vehicle.save()
    _record(vehicle, OperationKind.CHANGEMENT_ETAT_CIVIL,
            f"{before['family_name']} {before['given_names']} devient {holder.printed_name}".strip()[:255],
            application, before=before, old_number=old_number, reason=change["reason"])
    ctx.outcome.facts["old_number"] = old_number
    return holder


def undo_rename_holder(application, ctx):
    """Put the holder's names as printed back when the change is withdrawn, refused or closed (the card they still
    hold proves ownership again). A move to an SIV number stays: the number is the vehicle's for life."""
    operation = _operation(application, OperationKind.CHANGEMENT_ETAT_CIVIL)
    if operation is None or _undone(application):
        return None
    before = operation.payload.get("before") or {}
    Holder.objects.filter(pk=before.get("holder"), vehicle=operation.vehicle_id).update(
        family_name=before.get("family_name", ""), given_names=before.get("given_names", ""))
    _record(operation.vehicle, OperationKind.ANNULATION, (f"Changement d'état civil annulé "
            f"({WAY_OUT_WORDS[ctx.transition.name]}) : la carte grise reste au nom de "
            f"{before.get('family_name', '')} {before.get('given_names', '')}").strip()[:255], application,
            transition=ctx.transition.name)
    return operation.vehicle


# --- Cotitulaire: the register writes -------------------------------------------------------------------------


def change_cotitulaire(application, ctx):
    """Add the cotitulaire (a new holder row) or end the removed one's holding (on submission)."""
    vehicle = _locked_for_change(application)
    data = application.data["cotitulaire"]
    now = ctx.now
    if data["operation"] == CotitulaireOperation.ADD:
        holder = Holder.objects.create(vehicle=vehicle, role=HolderRole.COTITULAIRE,
                                       family_name=printed(data["family_name"]),
                                       given_names=printed(data["given_names"]), since=now)
        kind, detail = OperationKind.AJOUT_COTITULAIRE, f"Cotitulaire ajouté : {holder.printed_name}"
    else:
        holder = vehicle.holders.current().filter(pk=data["holder"], role=HolderRole.COTITULAIRE).first()
        if holder is None:
            raise InvalidTransition("holder", "Ce cotitulaire ne figure plus sur la carte grise de ce véhicule.")
        holder.until = now
        holder.save(update_fields=["until"])
        kind, detail = OperationKind.RETRAIT_COTITULAIRE, f"Cotitulaire retiré : {holder.printed_name}"
    old_number = _siv_outcome(vehicle, application)
    vehicle.save()
    _record(vehicle, kind, detail[:255], application, holder=holder.pk, old_number=old_number,
            reason=data["reason"])
    ctx.outcome.facts["old_number"] = old_number
    return holder


def undo_cotitulaire(application, ctx):
    """Undo the addition (the added holder's row ends: the history keeps it) or the removal (the holder is back on
    the card) when the file is withdrawn, refused or closed."""
    operation = (_operation(application, OperationKind.AJOUT_COTITULAIRE)
                 or _operation(application, OperationKind.RETRAIT_COTITULAIRE))
    if operation is None or _undone(application):
        return None
    holders = Holder.objects.select_for_update().filter(pk=operation.payload.get("holder"),
                                                         vehicle=operation.vehicle_id)
    if operation.kind == OperationKind.AJOUT_COTITULAIRE:
        holders.filter(until__isnull=True).update(until=ctx.now)
        words = "le cotitulaire ajouté ne figure pas sur la carte grise"
    else:
        holders.update(until=None)
        words = "le cotitulaire reste sur la carte grise"
    _record(operation.vehicle, OperationKind.ANNULATION, f"{operation.get_kind_display()} annulé "
            f"({WAY_OUT_WORDS[ctx.transition.name]}) : {words}", application, transition=ctx.transition.name)
    return operation.vehicle


# --- Forms ------------------------------------------------------------------------------------------------------


class CivilStatusForm(VehicleStepForm):
    reason = forms.ChoiceField(label="Changement", choices=CivilStatusChange.choices, widget=forms.RadioSelect)
    new_family_name = forms.CharField(label="Nom à inscrire sur la carte grise (repère C.1.1)", max_length=150)
    new_given_names = forms.CharField(label="Prénom(s) à inscrire, dans l'ordre de l'état civil (repère C.1.2)",
                                      max_length=150)
    changed_on = forms.DateField(label="Date du changement (mariage, jugement, décision)", widget=DATE_WIDGET,
                                 validators=[not_in_future])

    def clean(self):
        cleaned = super().clean()
        vehicle = services.vehicle_of(self.application) if self.application else None
        holder = proving_holder(vehicle, self.application) if vehicle else None
        if holder and cleaned.get("new_family_name") and (
                normalise_name(cleaned["new_family_name"]) == normalise_name(holder.family_name)
                and normalise_name(cleaned.get("new_given_names")) == normalise_name(holder.given_names)):
            self.add_error("new_family_name", "Ce nom et ces prénoms sont déjà ceux inscrits sur la carte grise.")
        return cleaned


class CotitulaireForm(VehicleStepForm):
    operation = forms.ChoiceField(label="Démarche", choices=CotitulaireOperation.choices, widget=forms.RadioSelect)
    reason = forms.ChoiceField(label="Raison", choices=CotitulaireReason.choices, widget=forms.RadioSelect)
    family_name = forms.CharField(label="Nom du cotitulaire à ajouter", required=False, max_length=150)
    given_names = forms.CharField(label="Prénom(s) du cotitulaire à ajouter", required=False, max_length=150)
    holder = forms.ChoiceField(label="Cotitulaire à retirer", required=False, choices=())
    conditionally_required = ("family_name", "given_names", "holder")  # by the operation, add or remove

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        vehicle = services.vehicle_of(self.application) if self.application else None
        self.vehicle = vehicle
        self.cotitulaires = list(vehicle.holders.current().filter(role=HolderRole.COTITULAIRE)) if vehicle else []
        choices = [("", "—")] + [(str(h.pk), h.printed_name) for h in self.cotitulaires]
        for target in (self.fields["holder"], self["holder"].field):
            target.choices = choices

    def clean(self):
        cleaned = super().clean()
        operation = cleaned.get("operation")
        if operation == CotitulaireOperation.ADD:
            for name, label in (("family_name", "le nom"), ("given_names", "le ou les prénoms")):
                if not (cleaned.get(name) or "").strip():
                    self.add_error(name, f"Indiquez {label} du cotitulaire à ajouter.")
            if cleaned.get("reason") == CotitulaireReason.DEATH:
                self.add_error("reason", "Le décès concerne le retrait d'un cotitulaire.")
            if self.vehicle and cleaned.get("family_name") and any(
                    holder_matches(h, cleaned["family_name"], cleaned.get("given_names") or "")
                    for h in self.vehicle.holders.current()):
                self.add_error("family_name", "Cette personne figure déjà sur la carte grise.")
            cleaned["holder"] = ""
        elif operation == CotitulaireOperation.REMOVE:
            if not self.cotitulaires:
                self.add_error("operation", "Aucun cotitulaire ne figure sur la carte grise de ce véhicule.")
            elif not cleaned.get("holder"):
                self.add_error("holder", "Choisissez le cotitulaire à retirer.")
            if cleaned.get("reason") == CotitulaireReason.COUPLE:
                self.add_error("reason", "Le mariage ou le PACS concerne l'ajout d'un cotitulaire.")
            cleaned.update(family_name="", given_names="")
        return cleaned


# --- Procedures -------------------------------------------------------------------------------------------------


class HolderChangeProcedure(VehicleProcedure):
    """What the two share: the holder proves ownership, a récépissé (and a CPI for an FNI vehicle, which moves to an
    SIV number) on submission, a new certificate on acceptance, Y4 + Y5 at least."""

    filers = (Filer.CITIZEN, Filer.MEDIATEUR, PRO_AUTO)
    fee_cents = TAXE_FIXE_CENTS + REDEVANCE_ACHEMINEMENT_CENTS
    outputs = {"submit": (RECEPISSE,)}

    def initial_data(self, application):
        return self.owner_initial(application)

    def on_submit(self, application, ctx):
        if ctx.outcome.facts.get("old_number"):
            # A new number: the holder drives with the CPI until the new certificate arrives.
            ctx.outcome.documents.append(queue_document(application, CPI, procedure=self))
        super().on_submit(application, ctx)


@registry.register
class ChangementEtatCivilProcedure(HolderChangeProcedure):
    code = CHANGEMENT_ETAT_CIVIL
    label = "Changement d'état civil sur la carte grise (mariage, divorce, nom)"
    description = (
        "Vous avez changé de nom ou de prénom (nom d'usage après un mariage, retour au nom de naissance après un "
        "divorce, changement de nom) : faites inscrire votre nouvel état civil sur la carte grise. Munissez-vous de "
        "la carte grise actuelle (le nom à indiquer pour la retrouver est celui qui y est inscrit) et du justificatif "
        "du changement. 13,76 € (taxe fixe et acheminement) : la taxe régionale n'est pas due."
    )
    order = 35
    steps = (
        Step("vehicule", "Votre véhicule", OwnershipForm),
        Step("etat-civil", "Votre nouvel état civil", CivilStatusForm),
    )
    documents = (
        IDENTITY,
        RequiredDocument("civil_status", "Justificatif du changement", rules=IMAGE_OR_PDF,
                         help_text="Acte de mariage, livret de famille, jugement de divorce, décision de changement "
                                   "de nom ou acte de naissance mis à jour."),
    )
    writes = (
        RegisterWrite(at="submit", do=rename_holder, undo=undo_rename_holder),
        RegisterWrite(at="accept", do=issue_certificate),
    )

    def fee_lines(self, application):
        return [FeeLine("Taxe régionale (Y1) — non due : changement d'état civil du titulaire", 0), *fixed_lines()]

    def summary_lines(self, application):
        lines = self.vehicle_line(application)
        owner = application.data.get("vehicule") or {}
        change = application.data.get("etat-civil") or {}
        if owner.get("family_name"):
            lines.append(("Nom inscrit sur la carte grise",
                          f"{owner['family_name']} {owner.get('given_names', '')}".strip()))
        if change.get("new_family_name"):
            lines.append(("Nouvel état civil", f"{printed(change['new_family_name'])} "
                                               f"{printed(change.get('new_given_names'))}".strip()))
        if change.get("reason"):
            lines.append(("Changement", CivilStatusChange(change["reason"]).label))
        if change.get("changed_on"):
            lines.append(("Date du changement", french_date(change["changed_on"])))
        return lines


@registry.register
class CotitulaireProcedure(HolderChangeProcedure):
    code = COTITULAIRE
    label = "Ajout ou retrait d'un cotitulaire sur la carte grise"
    description = (
        "Ajoutez un cotitulaire à la carte grise de votre véhicule (votre conjoint après un mariage, par exemple) ou "
        "retirez-en un (après un divorce, un décès). Munissez-vous de la carte grise actuelle. 13,76 € (taxe fixe et "
        "acheminement) ; l'ajout d'un cotitulaire qui n'est pas votre conjoint ou partenaire paie aussi la taxe "
        "régionale, comme un changement de titulaire."
    )
    order = 36
    steps = (
        Step("vehicule", "Votre véhicule", OwnershipForm),
        Step("cotitulaire", "Le cotitulaire", CotitulaireForm),
    )
    documents = (
        IDENTITY,
        RequiredDocument("cotitulaire_proof", "Justificatif", rules=IMAGE_OR_PDF,
                         help_text="Ajout : la pièce d'identité du cotitulaire et, après un mariage ou un PACS, "
                                   "l'acte de mariage ou l'attestation de PACS. Retrait : l'accord écrit et signé du "
                                   "cotitulaire retiré, le jugement de divorce ou l'acte de décès."),
    )
    writes = (
        RegisterWrite(at="submit", do=change_cotitulaire, undo=undo_cotitulaire),
        RegisterWrite(at="accept", do=issue_certificate),
    )

    @property
    def fee_display(self):
        return (f"{euros(self.fee_cents)}, plus la taxe régionale pour l'ajout d'un cotitulaire qui n'est pas le "
                "conjoint ou le partenaire du titulaire")

    def fee_lines(self, application):
        data = application.data.get("cotitulaire") or {}
        vehicle = services.vehicle_of(application)
        if data.get("operation") == CotitulaireOperation.ADD and data.get("reason") not in Y1_EXEMPT_ADDITION and (
                vehicle is not None):
            try:
                y1 = taxe_regionale_line(vehicle, departement_of(vehicle.postal_code), timezone.localdate())
            except RateUnknown:
                y1 = None
            if y1 is not None:
                return [y1, *fixed_lines()]
        why = ("ajout du conjoint ou du partenaire" if data.get("operation") == CotitulaireOperation.ADD
               else "retrait d'un cotitulaire, pas de nouveau titulaire")
        return [FeeLine(f"Taxe régionale (Y1) — non due : {why}", 0), *fixed_lines()]

    def summary_lines(self, application):
        lines = self.vehicle_line(application)
        data = application.data.get("cotitulaire") or {}
        if data.get("operation") == CotitulaireOperation.ADD:
            lines.append(("Cotitulaire à ajouter", f"{printed(data.get('family_name'))} "
                                                   f"{printed(data.get('given_names'))}".strip()))
        elif data.get("operation") == CotitulaireOperation.REMOVE and str(data.get("holder", "")).isdigit():
            holder = Holder.objects.filter(pk=data["holder"]).first()
            if holder is not None:
                lines.append(("Cotitulaire à retirer", holder.printed_name))
        if data.get("reason"):
            lines.append(("Raison", CotitulaireReason(data["reason"]).label))
        return lines
