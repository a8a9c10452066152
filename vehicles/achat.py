"""The habilitated professional's two procedures of the used-car trade.

- **Déclaration d'achat** (cerfa 13751): the garage declares, in its own name (organisation set, no mandate:
  `titles.permissions.OWN_NAME`), the vehicle it bought, within 15 days of the purchase, with the code de cession the
  seller got when declaring the cession to it (the seller declared a company buyer with the garage's SIREN, or the
  garage's e-mail). On submission the vehicle goes into the garage's stock, « en négoce » (`StockEntry`): the
  seller's holding ends and the code is spent; a withdrawal, a refusal or the portal's closing puts everything back.
- **Changement de titulaire from stock**: the garage registers a vehicle of its stock in its buyer's name, under
  the buyer's mandate (cerfa 13757): the changement de titulaire, the vehicle taken from the stock instead of a code
  de cession; its way out puts the vehicle back in stock.
"""

import datetime
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.views.decorators.http import require_POST

from core.exceptions import Refused
from core.formats import french_date
from titles import services as titles_services
from titles.permissions import member_required
from titles.presentation import StatusSummary, wizard_steps
from titles.procedures import Output, RegisterWrite, RequiredDocument, Step
from titles.registry import registry
from titles.workflow import InvalidTransition, Status
from vehicles import attempts, register, services
from vehicles.deadlines import (
    as_date,
    changement_titulaire_deadline,
    controle_technique_after_years,
    needs_controle_technique,
)
from vehicles.enums import (
    CHANGEMENT_TITULAIRE_STOCK,
    DECLARATION_ACHAT,
    DECLARATION_ACHAT_DEADLINE_DAYS,
    PRO_AUTO,
    AttemptKind,
    BuyerKind,
    HolderRole,
    OperationKind,
)
from vehicles.formats import PLATE_HELP, compact, parse_code_de_cession, parse_registration
from vehicles.forms import DATE_WIDGET, ControleTechniqueForm, NewHolderForm, VehicleStepForm, late_field, late_message
from vehicles.models import Cession, CodeAttempt, Holder, StockEntry, Vehicle, VehicleFile
from vehicles.permissions import CAR_TRADE
from vehicles.procedures import CPI, IMAGE_OR_PDF, RECEPISSE, ChangementTitulaireProcedure, VehicleProcedure

ACCUSE_ACHAT = Output("accuse-achat", "Accusé d'enregistrement de la déclaration d'achat",
                      "vehicles/pdf/accuse_achat.html")
NOT_THE_BUYER = ("Le code est juste, mais le vendeur n'a pas déclaré votre entreprise comme acquéreur (même SIREN ou "
                 "même adresse électronique) : demandez-lui de corriger sa déclaration de cession.")


def siren_of(organisation):
    """Return the SIREN of an organisation: the first 9 digits of its SIRET (empty if unknown)."""
    return (organisation.siret or "")[:9]


def sold_to(cession, organisation):
    """Whether the seller declared `organisation` as the buyer: a company with its SIREN, or its e-mail."""
    if cession.buyer_kind == BuyerKind.COMPANY and siren_of(organisation) and cession.buyer_siren == siren_of(
            organisation):
        return True
    return bool(cession.buyer_email and organisation.email) and cession.buyer_email.lower() == (
        organisation.email.lower())


def purchase_deadline(bought_at):
    """The last day a professional may declare a purchase (15 days)."""
    return as_date(bought_at) + datetime.timedelta(days=DECLARATION_ACHAT_DEADLINE_DAYS)


def verify_purchase_code(*, registration, code, organisation, actor, application, record=True):
    """Return the open cession to `organisation` the code unlocks, or raise Refused.

    The buyer's check (`services.verify_code_de_cession`) with its lockouts, the buyer being the organisation
    rather than a person: a wrong code counts against the account that typed it, on that vehicle."""
    now = timezone.now()
    message = None
    with transaction.atomic():
        vehicle = Vehicle.objects.select_for_update().filter(registration_number=registration).first()
        if record:
            locked = attempts._lockout(AttemptKind.CODE_DE_CESSION, actor, vehicle, now)
            if locked:
                raise Refused("register", locked)
        cession = None
        if vehicle is not None:
            cession = vehicle.cessions.filter(cancelled_at__isnull=True).order_by("-created_at").first()
        if cession is None or not constant_time_compare(cession.code_hash, attempts.hash_code(code)):
            if record and cession is not None and cession.is_open:
                CodeAttempt.objects.create(kind=AttemptKind.CODE_DE_CESSION, user=actor, vehicle=vehicle,
                                           cession=cession, application=application, success=False)
            message = attempts.CODE_REFUSED
        elif cession.used_by_application_id and cession.used_by_application_id != application.pk:
            message = attempts.CODE_USED
        elif cession.code_expires_at <= now:
            message = (f"Ce code de cession a expiré le {french_date(cession.code_expires_at)} (il est valable 15 "
                       "jours) : demandez au vendeur de déclarer à nouveau la cession.")
        elif vehicle.blocks_transfer:
            message = ("La situation administrative de ce véhicule (opposition, vol ou immobilisation) interdit son "
                       "transfert : adressez-vous au vendeur.")
        elif not sold_to(cession, organisation):
            message = NOT_THE_BUYER
        elif record:
            CodeAttempt.objects.create(kind=AttemptKind.CODE_DE_CESSION, user=actor, vehicle=vehicle,
                                       cession=cession, application=application, success=True)
    if message:
        raise Refused("register", message)
    return cession


# --- Déclaration d'achat ---------------------------------------------------------------------------------------


class PurchaseForm(VehicleStepForm):
    """The plate, the code de cession the seller gave, and the mileage at the purchase. The code is checked here
    (with the lockouts) and never stored: the step keeps the cession it unlocked."""

    registration_number = forms.CharField(label="Numéro d'immatriculation", help_text=PLATE_HELP, max_length=20)
    code_de_cession = forms.CharField(
        label="Code de cession", required=False, max_length=30,
        help_text="12 caractères, remis par le vendeur : il figure sur son exemplaire de l'accusé d'enregistrement "
                  "de la déclaration de cession, faite au nom de votre entreprise (SIREN).",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
    )
    mileage = forms.IntegerField(label="Kilométrage à l'achat", min_value=0, max_value=2_000_000)
    late_acknowledged = late_field("Je déclare l'achat après le délai de 15 jours")
    # Checked in clean() (with the lockouts), so not required by the browser, but never shown as optional.
    conditionally_required = ("code_de_cession", "late_acknowledged")

    def clean_registration_number(self):
        self.registration = self.parse("registration_number", parse_registration)
        return self.registration.number

    def clean_code_de_cession(self):
        if not compact(self.cleaned_data.get("code_de_cession")):
            return ""
        return self.parse("code_de_cession", parse_code_de_cession)

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        code = cleaned.get("code_de_cession")
        if code:
            try:
                cession = verify_purchase_code(
                    registration=self.registration.number, code=code, organisation=self.application.organisation,
                    actor=self.application.filed_by, application=self.application, record=self.record,
                )
            except Refused as refused:
                raise ValidationError(refused.reason) from refused
        else:
            cession = attempts.verified_cession(self.application, self.registration.number)
            if cession is None:
                self.add_error("code_de_cession", "Indiquez le code de cession que le vendeur vous a remis.")
                return cleaned
        deadline = purchase_deadline(cession.sold_at)
        if deadline < timezone.localdate() and not cleaned.get("late_acknowledged"):
            self.add_error("late_acknowledged", late_message("La déclaration d'achat", deadline))
        cleaned.update(code_de_cession="", cession_id=cession.pk, vehicle_id=cession.vehicle_id)
        return cleaned


def enter_stock(application, ctx):
    """Put the vehicle the organisation bought into its stock (on submission): the code de cession is spent, the
    seller's holding ends, the history says so. One purchase per cession, whatever the concurrency: the cession row
    is locked and the database refuses a second `used_by_application`."""
    cession_id = VehicleFile.objects.values_list("cession_id", flat=True).get(application=application)
    cession = Cession.objects.select_for_update().get(pk=cession_id)
    if cession.used_by_application_id is not None:
        raise InvalidTransition("cession_used", attempts.CODE_USED)
    if cession.cancelled_at is not None:
        raise InvalidTransition("cession_cancelled", "Le vendeur a remplacé cette déclaration de cession : "
                                                     "demandez-lui le nouveau code.")
    vehicle = Vehicle.objects.select_for_update().get(pk=cession.vehicle_id)
    if vehicle.blocks_transfer:
        raise InvalidTransition("situation", "La situation administrative de ce véhicule interdit son transfert.")
    cession.used_by_application = application
    cession.used_at = ctx.now
    cession.save(update_fields=["used_by_application", "used_at"])
    ended = list(vehicle.holders.current().values_list("pk", flat=True))
    vehicle.holders.filter(pk__in=ended).update(until=ctx.now)
    entry = StockEntry.objects.create(
        vehicle=vehicle, organisation=application.organisation, application=application, cession=cession,
        bought_at=cession.sold_at, mileage=application.data["vehicule"]["mileage"], entered_at=ctx.now,
    )
    register._record(vehicle, OperationKind.DECLARATION_ACHAT, f"Acheté par {application.organisation.name} : "
                     "véhicule en négoce", application, cession=cession.pk, ended_holders=ended, stock_entry=entry.pk)
    return entry


def cancel_stock_entry(application, ctx):
    """Undo a déclaration d'achat on its way out: the vehicle leaves the stock, the seller holds it again and the
    code de cession is free again. Refused once the vehicle was sold from the stock (that sale must end first)."""
    entry = StockEntry.objects.select_for_update().filter(application=application).first()
    if entry is None or entry.cancelled_at is not None:
        return None
    if entry.sold_by_application_id is not None:
        raise InvalidTransition("stock_sold", "Ce véhicule a déjà été vendu depuis votre stock : la déclaration "
                                              "d'achat ne peut plus être annulée.")
    entry.cancelled_at = ctx.now
    entry.save(update_fields=["cancelled_at"])
    vehicle = Vehicle.objects.select_for_update().get(pk=entry.vehicle_id)
    operation = register._operation(application, OperationKind.DECLARATION_ACHAT)
    ended = (operation.payload.get("ended_holders") if operation else None) or []
    vehicle.holders.filter(pk__in=ended).update(until=None)
    cession = Cession.objects.select_for_update().get(pk=entry.cession_id)
    if cession.used_by_application_id == application.pk:
        cession.used_by_application = None
        cession.used_at = None
        cession.save(update_fields=["used_by_application", "used_at"])
    register._record(vehicle, OperationKind.ANNULATION, f"Déclaration d'achat annulée "
                     f"({register.WAY_OUT_WORDS[ctx.transition.name]}) : le véhicule sort du stock de "
                     f"{entry.organisation.name}"[:255], application, stock_entry=entry.pk,
                     transition=ctx.transition.name)
    return entry


@registry.register
class DeclarationAchatProcedure(VehicleProcedure):
    code = DECLARATION_ACHAT
    label = "Déclaration d'achat d'un véhicule d'occasion par un professionnel"
    description = (
        "Professionnel de l'automobile habilité, vous achetez un véhicule d'occasion pour le revendre : déclarez "
        "l'achat au nom de votre entreprise dans les 15 jours (cerfa 13751), avec le code de cession que le vendeur "
        "vous a remis. Le véhicule entre dans votre stock (« en négoce ») : vous n'avez pas à l'immatriculer à votre "
        "nom, et vous ferez la carte grise de votre acheteur depuis ce stock. Gratuit. La déclaration se fait depuis "
        "votre espace professionnel."
    )
    order = 60
    filers = (PRO_AUTO,)
    steps = (Step("vehicule", "Véhicule et code de cession", PurchaseForm),)
    documents = (
        RequiredDocument("certificat_barre", "Carte grise barrée par le vendeur", rules=IMAGE_OR_PDF,
                         help_text="Barrée, avec la mention « vendu le … à … h » et la signature du vendeur."),
    )
    outputs = {"submit": (ACCUSE_ACHAT,)}
    writes = (RegisterWrite(at="submit", do=enter_stock, undo=cancel_stock_entry),)
    # Registered on submission; the CERT only checks it afterwards.
    expected_days = 2

    @property
    def start_url(self):
        """Filed by an organisation in its own name: started from the professional's space, not under a mandate."""
        return reverse("vehicles:pro")

    def departement(self, application):
        # The garage's file: routed by the garage's département, not by the member who opened it.
        return application.organisation.departement or super().departement(application)

    def summary_lines(self, application):
        lines = self.vehicle_line(application)
        lines.append(("Acheteur", f"{application.organisation.name}"
                                  + (f" (SIREN {siren_of(application.organisation)})"
                                     if siren_of(application.organisation) else "")))
        cession = services.cession_of(application)
        if cession is not None:
            lines.append(("Date et heure de l'achat", f"{french_date(cession.sold_at)} à "
                                                      f"{timezone.localtime(cession.sold_at):%H:%M}"))
            lines.append(("Vendeur", cession.application.applicant.get_full_name()))
        data = application.data.get("vehicule") or {}
        if data.get("mileage") not in (None, ""):
            lines.append(("Kilométrage à l'achat", f"{data['mileage']} km"))
        if data.get("late_acknowledged"):
            lines.append(("Déclaration tardive", "Oui (plus de 15 jours après l'achat)"))
        return lines

    def validate_submission(self, application):
        cession = services.cession_of(application)
        if cession is not None and cession.used_by_application_id not in (None, application.pk):
            return [attempts.CODE_USED]
        return []

    def on_submit(self, application, ctx):
        """Filed in the organisation's own name: there is no client to tell."""

    def status_summary(self, application):
        if application.status not in (Status.SUBMITTED, Status.IN_REVIEW) or application.submitted_at is None:
            return None
        return StatusSummary(
            "Véhicule en stock",
            "La déclaration d'achat est enregistrée : le véhicule est dans votre stock (en négoce). Pour le vendre, "
            "faites la carte grise de votre acheteur depuis votre espace professionnel, sous son mandat.",
            "",
            "success",
        )

    def output_context(self, application, output):
        context = super().output_context(application, output)
        entry = StockEntry.objects.select_related("cession__application__applicant", "organisation").filter(
            application=application).first()
        if entry is not None:
            context.update(
                bought_at=f"{french_date(entry.bought_at)} à {timezone.localtime(entry.bought_at):%H:%M}",
                mileage=entry.mileage, buyer_name=entry.organisation.name, buyer_siren=siren_of(entry.organisation),
                habilitation=entry.organisation.habilitation_number,
                seller_name=entry.cession.application.applicant.get_full_name(),
            )
        return context


class StartPurchaseForm(forms.Form):
    organisation = forms.TypedChoiceField(label="Entreprise acheteuse", coerce=int)

    def __init__(self, *args, organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [(o.pk, o.name) for o in organisations]


@require_POST
@member_required(CAR_TRADE)
def start_purchase(request):
    """Open a déclaration d'achat in the name of one of the member's habilitated organisations."""
    habilitated = [o for o in request.organisations if o.is_validated]
    form = StartPurchaseForm(request.POST, organisations=habilitated)
    if not form.is_valid():
        messages.error(request, "Choisissez une entreprise habilitée : une habilitation non validée par un "
                                "administrateur ne permet pas de déclarer un achat.")
        return redirect("vehicles:pro")
    organisation = next(o for o in habilitated if o.pk == form.cleaned_data["organisation"])
    application = titles_services.create_draft(registry.get(DECLARATION_ACHAT), applicant=request.user,
                                               filed_by=request.user, organisation=organisation)
    return redirect(wizard_steps(application)[0].url)


# --- Changement de titulaire from the stock --------------------------------------------------------------------


@dataclass(frozen=True)
class Sale:
    """What the contrôle technique step needs of a sale: the vehicle and when it was sold."""

    vehicle: Vehicle
    sold_at: datetime.datetime


def sale_of(application):
    """Return the Sale a stock changement de titulaire records (its first step), or None."""
    data = application.data.get("vehicule") or {}
    entry = StockEntry.objects.select_related("vehicle").filter(pk=data.get("stock_entry")).first()
    if entry is None or not data.get("sold_on"):
        return None
    sold_on = datetime.date.fromisoformat(data["sold_on"])
    return Sale(entry.vehicle, timezone.make_aware(datetime.datetime.combine(sold_on, datetime.time(12))))


class StockVehicleForm(VehicleStepForm):
    """A vehicle of the organisation's stock and the day it was sold to the buyer."""

    stock_entry = forms.TypedChoiceField(label="Véhicule de votre stock", coerce=int)
    sold_on = forms.DateField(label="Date de la vente à l'acheteur", widget=DATE_WIDGET)
    late_acknowledged = late_field("Je fais le changement de titulaire après le délai d'un mois")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.entries = {}
        if self.application is not None and self.application.organisation_id:
            self.entries = {e.pk: e for e in StockEntry.objects.current().select_related("vehicle").filter(
                organisation_id=self.application.organisation_id)}
            # The vehicle this draft already took keeps its place in the list.
            taken = StockEntry.objects.select_related("vehicle").filter(sold_by_application=self.application).first()
            if taken is not None:
                self.entries[taken.pk] = taken
        self.fields["stock_entry"].choices = [("", "Choisissez un véhicule")] + [
            (pk, f"{e.vehicle.registration_number} — {e.vehicle.label}") for pk, e in self.entries.items()]

    def clean_sold_on(self):
        sold_on = self.cleaned_data["sold_on"]
        if sold_on > timezone.localdate():
            raise ValidationError("La date de la vente ne peut pas être dans le futur.")
        return sold_on

    def clean(self):
        cleaned = super().clean()
        entry = self.entries.get(cleaned.get("stock_entry"))
        sold_on = cleaned.get("sold_on")
        if entry is None or sold_on is None:
            return cleaned
        if sold_on < as_date(entry.bought_at):
            self.add_error("sold_on", f"Vous avez acheté ce véhicule le {french_date(entry.bought_at)} : vous "
                                      "ne pouvez pas l'avoir vendu avant.")
            return cleaned
        deadline = changement_titulaire_deadline(sold_on)
        if deadline < timezone.localdate() and not cleaned.get("late_acknowledged"):
            self.add_error("late_acknowledged", late_message("Le changement de titulaire", deadline))
        cleaned["vehicle_id"] = entry.vehicle_id
        return cleaned


class StockControleForm(ControleTechniqueForm):
    """The contrôle technique of a vehicle sold from stock: the same rules, at the day of the sale."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        sale = sale_of(self.application) if self.application else None
        if sale is None:
            return
        # The parent read a cession; a sale from stock has none: the same check, on the sale's vehicle and day.
        self.cession = sale
        self.years = controle_technique_after_years(sale.vehicle.category, sale.sold_at)
        self.required = needs_controle_technique(sale.vehicle.first_registration_date, sale.sold_at,
                                                 sale.vehicle.category)
        if self.required:
            self.describe("ct_date", help_text=f"Obligatoire : le véhicule a plus de {self.years} ans. Le contrôle "
                          "doit dater de moins de 6 mois au jour de la vente ; vous joindrez le procès-verbal à "
                          "l'étape des pièces.")


def transfer_from_stock(application, ctx):
    """Register the buyer as holder of a vehicle sold from the organisation's stock (on submission): the vehicle
    leaves the stock, the old certificate stops proving anything, an FNI vehicle moves to the SIV."""
    entry_id = application.data["vehicule"]["stock_entry"]
    entry = StockEntry.objects.select_for_update().filter(pk=entry_id).first()
    if entry is None or entry.organisation_id != application.organisation_id or entry.cancelled_at is not None:
        raise InvalidTransition("stock", "Ce véhicule n'est pas dans votre stock.")
    if entry.sold_by_application_id not in (None, application.pk) or entry.left_at is not None:
        raise InvalidTransition("stock_sold", "Ce véhicule a déjà été vendu depuis votre stock.")
    vehicle = Vehicle.objects.select_for_update().get(pk=entry.vehicle_id)
    if vehicle.blocks_transfer:
        raise InvalidTransition("situation", "La situation administrative de ce véhicule interdit son transfert.")
    entry.sold_by_application = application
    entry.left_at = ctx.now
    entry.save(update_fields=["sold_by_application", "left_at"])
    holder = application.data["titulaire"]
    applicant = application.applicant
    before = register._before(vehicle, "numero_formule", "stickers", "address_line", "postal_code", "city")
    Holder.objects.create(vehicle=vehicle, user=applicant, family_name=(applicant.usage_name
                          or applicant.family_name).upper(), given_names=applicant.given_names.upper(), since=ctx.now)
    if holder.get("cotitulaire_family_name"):
        Holder.objects.create(vehicle=vehicle, role=HolderRole.COTITULAIRE,
                              family_name=holder["cotitulaire_family_name"].upper(),
                              given_names=(holder.get("cotitulaire_given_names") or "").upper(), since=ctx.now)
    vehicle.address_line, vehicle.postal_code, vehicle.city = (holder["address_line"], holder["postal_code"],
                                                               holder["city"])
    if not vehicle.is_siv:
        register._move_to_siv(vehicle, application)
    vehicle.numero_formule = ""
    vehicle.stickers = 0
    vehicle.save()
    register._record(vehicle, OperationKind.SORTIE_STOCK, f"Vendu par {entry.organisation.name} à "
                     f"{applicant.get_full_name()}"[:255], application, stock_entry=entry.pk, before=before)
    return entry


def back_to_stock(application, ctx):
    """Undo a sale from stock on its way out: the buyer's holding ends, the vehicle is back in the organisation's
    stock with its certificate as it was (an SIV number given on the way stays: it is the vehicle's for life)."""
    entry = StockEntry.objects.select_for_update().filter(sold_by_application=application).first()
    if entry is None:
        return None
    vehicle = Vehicle.objects.select_for_update().get(pk=entry.vehicle_id)
    vehicle.holders.filter(since=entry.left_at, until__isnull=True).update(until=ctx.now)
    operation = register._operation(application, OperationKind.SORTIE_STOCK)
    for name, value in ((operation.payload.get("before") if operation else None) or {}).items():
        setattr(vehicle, name, value)
    vehicle.save()
    entry.sold_by_application = None
    entry.left_at = None
    entry.save(update_fields=["sold_by_application", "left_at"])
    register._record(vehicle, OperationKind.ANNULATION, f"Vente depuis le stock annulée "
                     f"({register.WAY_OUT_WORDS[ctx.transition.name]}) : le véhicule revient dans le stock de "
                     f"{entry.organisation.name}"[:255], application, stock_entry=entry.pk,
                     transition=ctx.transition.name)
    return entry


@registry.register
class ChangementTitulaireStockProcedure(ChangementTitulaireProcedure):
    code = CHANGEMENT_TITULAIRE_STOCK
    label = "Changement de titulaire d'un véhicule vendu par un professionnel (depuis son stock)"
    description = (
        "Professionnel de l'automobile habilité, vous vendez un véhicule d'occasion de votre stock : faites la carte "
        "grise au nom de votre acheteur, sous son mandat (cerfa 13757), dans le mois qui suit la vente. Le véhicule "
        "sort de votre stock sans code de cession ; vous imprimez aussitôt le certificat provisoire (CPI) et "
        "l'acheteur reçoit la carte grise chez lui."
    )
    order = 65
    filers = (PRO_AUTO,)
    steps = (
        Step("vehicule", "Véhicule de votre stock", StockVehicleForm),
        Step("titulaire", "Nouveau titulaire", NewHolderForm),
        Step("controle", "Contrôle technique", StockControleForm),
    )
    outputs = {"submit": (RECEPISSE, CPI)}
    writes = (
        RegisterWrite(at="submit", do=transfer_from_stock, undo=back_to_stock),
        RegisterWrite(at="accept", do=register.issue_certificate),
    )

    def summary_lines(self, application):
        lines = self.vehicle_line(application)
        if application.organisation_id:
            lines.append(("Vendeur (professionnel)", application.organisation.name))
        data = application.data.get("vehicule") or {}
        if data.get("sold_on"):
            lines.append(("Vendu le", french_date(data["sold_on"])))
        lines.append(("Nouveau titulaire", application.applicant.get_full_name()))
        lines += self.holder_lines(application)
        controle = application.data.get("controle") or {}
        if controle.get("ct_date"):
            lines.append(("Contrôle technique du", french_date(controle["ct_date"])))
        return lines

    def validate_submission(self, application):
        sale = sale_of(application)
        if sale is None:
            return []
        vehicle = sale.vehicle
        if needs_controle_technique(vehicle.first_registration_date, sale.sold_at, vehicle.category) and not (
                application.documents.filter(kind="controle_technique", message__isnull=True).exists()):
            years = controle_technique_after_years(vehicle.category, sale.sold_at)
            return ["Il manque la pièce « Procès-verbal du contrôle technique » : elle est obligatoire pour un "
                    f"véhicule de plus de {years} ans."]
        return []


def stock_of(organisations):
    """Return the vehicles in stock of `organisations` now, with what the professional's page shows."""
    return list(StockEntry.objects.current().filter(organisation__in=organisations).select_related(
        "vehicle", "organisation", "application").order_by("-entered_at"))

