"""The first registration in France of a new vehicle, filed by the habilitated professional who sells it (the dealer,
a garage) under its client's mandate (cerfa 13757), from the certificate of conformity.

On submission the vehicle enters the register with a new number of the SIV series (allocated once, for life: a
refiling of the same VIN after a withdrawal or a refusal gets the same number back), held by the client at the
address given; the CPI is printed at once. The CERT's acceptance makes the certificate (a numéro de formule). The
fee is the malus (CO2 and mass, `vehicles.malus`, on the day of the first registration), the taxe régionale (Y1),
the formation professionnelle (Y2) of a utility vehicle, Y4 and Y5. Sources: docs/glossary.md (« malus »,
« immatriculation d'un véhicule neuf »).
"""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.formats import euros, french_date
from titles.procedures import Missing, RegisterWrite, RequiredDocument, Step
from titles.registry import registry
from titles.workflow import InvalidTransition
from vehicles import register, services
from vehicles.enums import (
    IMMATRICULATION_NEUF,
    PRO_AUTO,
    REDEVANCE_ACHEMINEMENT_CENTS,
    TAXE_FIXE_CENTS,
    Category,
    Energy,
    HolderRole,
    OperationKind,
)
from vehicles.fees import RateUnknown, certificate_lines, fixed_lines
from vehicles.formats import VIN_HELP, departement_of, parse_vin
from vehicles.forms import DATE_WIDGET, NewHolderForm, VehicleStepForm
from vehicles.malus import PLUG_IN_HYBRIDS, MalusUnavailable, compute
from vehicles.models import Holder, StockEntry, Vehicle
from vehicles.procedures import CPI, IDENTITY, IMAGE_OR_PDF, RECEPISSE, VehicleProcedure


def registered_refusal(vehicle):
    """Return why `vehicle` (found by its VIN) cannot be registered as new, or None: it has a holder, is in a
    professional's stock, or has a history other than a first registration by this procedure later cancelled."""
    if vehicle is None:
        return None
    other_history = vehicle.operations.exclude(kind=OperationKind.ANNULATION).exclude(
        kind=OperationKind.IMMATRICULATION, application__procedure_code=IMMATRICULATION_NEUF).exists()
    if (vehicle.holders.current().exists() or other_history
            or StockEntry.objects.current().filter(vehicle=vehicle).exists()):
        return (f"Ce numéro VIN est déjà immatriculé ({vehicle.registration_number}) : ce n'est pas un véhicule "
                "neuf. Pour un véhicule d'occasion, faites un changement de titulaire.")
    return None


class NewVehicleForm(VehicleStepForm):
    """What the certificate of conformity (COC) says of the vehicle, and the day of its first registration."""

    vin = forms.CharField(label="Numéro d'identification du véhicule (VIN, repère E)", help_text=VIN_HELP,
                          max_length=30)
    make = forms.CharField(label="Marque (D.1)", max_length=60)
    type_code = forms.CharField(
        label="Type, variante, version ou CNIT (D.2)", max_length=40,
        help_text="Tel qu'il figure sur le certificat de conformité, par exemple 1JPYR2EZ/A1B2C3D4 ou M10RENVP0A1B.")
    model_name = forms.CharField(label="Dénomination commerciale (D.3)", max_length=60)
    category = forms.ChoiceField(label="Genre national (J.1)", choices=Category.choices)
    energy = forms.ChoiceField(label="Énergie (P.3)", choices=Energy.choices)
    co2_g_km = forms.IntegerField(label="Émissions de CO2 (V.7, g/km, méthode WLTP)", min_value=0, max_value=999,
                                  help_text="0 pour un véhicule électrique ou à hydrogène.")
    mass_kg = forms.IntegerField(label="Masse en ordre de marche (G, kg)", min_value=100, max_value=60000)
    max_laden_mass_kg = forms.IntegerField(
        label="Masse en charge maximale admissible (F.2, kg)", required=False, min_value=100, max_value=60000,
        help_text="Obligatoire pour une camionnette ou un camion : elle fixe la taxe pour la formation "
                  "professionnelle.")
    fiscal_horsepower = forms.IntegerField(label="Puissance fiscale (P.6, CV)", min_value=1, max_value=999)
    electric_range_km = forms.IntegerField(
        label="Autonomie en mode électrique en ville (km, WLTP)", required=False, min_value=0, max_value=2000,
        help_text="Pour un hybride rechargeable seulement : au-delà de 50 km, l'abattement du malus au poids est de "
                  "200 kg.")
    first_registration_date = forms.DateField(label="Date de la première immatriculation (B)", widget=DATE_WIDGET,
                                              help_text="Le jour de l'immatriculation : le barème du malus est celui "
                                                        "en vigueur ce jour-là.")
    conditionally_required = ("max_laden_mass_kg", "electric_range_km")

    def clean_vin(self):
        vin = self.parse("vin", parse_vin)
        refusal = registered_refusal(Vehicle.objects.filter(vin=vin).first())
        if refusal:
            raise ValidationError(refusal)
        return vin

    def clean_first_registration_date(self):
        day = self.cleaned_data["first_registration_date"]
        if day > timezone.localdate():
            raise ValidationError("La date de première immatriculation ne peut pas être dans le futur : "
                                  "c'est le jour de la démarche.")
        if day < timezone.localdate() - datetime.timedelta(days=30):
            raise ValidationError("La date de première immatriculation est le jour de la démarche : elle ne peut "
                                  "pas dater de plus d'un mois.")
        return day

    def clean(self):
        cleaned = super().clean()
        category, energy = cleaned.get("category"), cleaned.get("energy")
        if category in (Category.CTTE, Category.CAM) and not cleaned.get("max_laden_mass_kg"):
            self.add_error("max_laden_mass_kg", "Indiquez la masse en charge maximale admissible (F.2) de ce "
                                                "véhicule utilitaire.")
        if energy in PLUG_IN_HYBRIDS and cleaned.get("electric_range_km") is None:
            self.add_error("electric_range_km", "Indiquez l'autonomie en mode électrique en ville de cet hybride "
                                                "rechargeable (certificat de conformité).")
        if self.errors:
            return cleaned
        try:
            compute(category=category, energy=energy, co2_g_km=cleaned["co2_g_km"], mass_kg=cleaned["mass_kg"],
                    on=cleaned["first_registration_date"], electric_range_km=cleaned.get("electric_range_km"))
        except MalusUnavailable as unavailable:
            self.add_error("first_registration_date", unavailable.message)
        return cleaned


def malus_of(application):
    """Return the Malus of the file's vehicle (raise MalusUnavailable), or None while the step is not filled."""
    data = application.data.get("vehicule") or {}
    if not data.get("vin"):  # the step is not filled yet (the draft holds only its initial date)
        return None
    return compute(category=data["category"], energy=data["energy"], co2_g_km=data["co2_g_km"],
                   mass_kg=data["mass_kg"], on=datetime.date.fromisoformat(data["first_registration_date"]),
                   electric_range_km=data.get("electric_range_km"))


def described_vehicle(application, vehicle=None):
    """Return `vehicle` (a new, unsaved one by default) with what the certificate of conformity says."""
    data = application.data["vehicule"]
    first = datetime.date.fromisoformat(data["first_registration_date"])
    vehicle = vehicle or Vehicle(vin=data["vin"])
    vehicle.make = data["make"].upper()
    vehicle.model_name = data["model_name"].upper()
    vehicle.category, vehicle.energy = data["category"], data["energy"]
    vehicle.fiscal_horsepower = data["fiscal_horsepower"]
    vehicle.max_laden_mass_kg = data.get("max_laden_mass_kg") or None
    vehicle.first_registration_date = vehicle.certificate_date = first
    return vehicle


def register_new_vehicle(application, ctx):
    """Put the new vehicle in the register (on submission): its SIV number, allocated once for its VIN, the client
    as holder at the address given, the file's vehicle; the history says who registered it."""
    data = application.data["vehicule"]
    vehicle = Vehicle.objects.select_for_update().filter(vin=data["vin"]).first()
    refusal = registered_refusal(vehicle)
    if refusal:
        raise InvalidTransition("vin_registered", refusal)
    if vehicle is None:
        vehicle = Vehicle(vin=data["vin"], registration_number=register.allocate_siv_number())
    described_vehicle(application, vehicle)
    holder = application.data["titulaire"]
    vehicle.address_line, vehicle.postal_code, vehicle.city = (holder["address_line"], holder["postal_code"],
                                                               holder["city"])
    vehicle.numero_formule, vehicle.stickers = "", 0
    vehicle.save()
    applicant = application.applicant
    Holder.objects.create(vehicle=vehicle, user=applicant, family_name=(applicant.usage_name
                          or applicant.family_name).upper(), given_names=applicant.given_names.upper(), since=ctx.now)
    if holder.get("cotitulaire_family_name"):
        Holder.objects.create(vehicle=vehicle, role=HolderRole.COTITULAIRE,
                              family_name=holder["cotitulaire_family_name"].upper(),
                              given_names=(holder.get("cotitulaire_given_names") or "").upper(), since=ctx.now)
    services.record_vehicle(application, vehicle_id=vehicle.pk)
    organisation = application.organisation.name if application.organisation_id else "le titulaire"
    register._record(vehicle, OperationKind.IMMATRICULATION, f"Première immatriculation en France d'un véhicule "
                     f"neuf, déposée par {organisation}"[:255], application, type_code=data["type_code"],
                     co2_g_km=data["co2_g_km"], mass_kg=data["mass_kg"])
    return vehicle


def cancel_new_registration(application, ctx):
    """Undo the first registration on its way out: the holders' holding ends; the number stays the VIN's (a new
    filing for this vehicle gets it back), the history says why."""
    operation = register._operation(application, OperationKind.IMMATRICULATION)
    if operation is None or register._undone(application):
        return None
    vehicle = Vehicle.objects.select_for_update().get(pk=operation.vehicle_id)
    vehicle.holders.filter(until__isnull=True).update(until=ctx.now)
    register._record(vehicle, OperationKind.ANNULATION, f"Première immatriculation annulée "
                     f"({register.WAY_OUT_WORDS[ctx.transition.name]}) : le numéro {vehicle.registration_number} "
                     "reste attribué à ce véhicule"[:255], application, transition=ctx.transition.name)
    return vehicle


@registry.register
class ImmatriculationNeufProcedure(VehicleProcedure):
    code = IMMATRICULATION_NEUF
    label = "Immatriculation d'un véhicule neuf par un professionnel"
    description = (
        "Professionnel de l'automobile habilité, vous vendez un véhicule neuf : immatriculez-le au nom de votre "
        "client, sous son mandat (cerfa 13757), avec les données du certificat de conformité. Le numéro "
        "d'immatriculation est attribué aussitôt et vous imprimez le certificat provisoire (CPI) ; la carte grise "
        "est envoyée au client. Le malus (CO2 et poids) est calculé selon le barème en vigueur le jour de "
        "l'immatriculation."
    )
    order = 70
    filers = (PRO_AUTO,)
    steps = (
        Step("vehicule", "Le véhicule neuf", NewVehicleForm),
        Step("titulaire", "Titulaire et adresse", NewHolderForm),
    )
    documents = (
        RequiredDocument("certificat_conformite", "Certificat de conformité européen (COC)", rules=IMAGE_OR_PDF,
                         help_text="Remis par le constructeur : il établit le type, les émissions de CO2 et la "
                                   "masse du véhicule."),
        IDENTITY,
        RequiredDocument("proof_of_address", "Justificatif de domicile du titulaire de moins de 6 mois",
                         rules=IMAGE_OR_PDF,
                         help_text="Facture d'électricité, de téléphone, avis d'imposition, quittance de loyer…"),
    )
    fee_cents = TAXE_FIXE_CENTS + REDEVANCE_ACHEMINEMENT_CENTS
    outputs = {"submit": (RECEPISSE, CPI)}
    writes = (
        RegisterWrite(at="submit", do=register_new_vehicle, undo=cancel_new_registration),
        RegisterWrite(at="accept", do=register.issue_certificate),
    )

    @property
    def fee_display(self):
        return (f"{euros(self.fee_cents)} plus la taxe régionale, et le malus CO2 et au poids selon le barème du jour "
                "de l'immatriculation")

    def initial_data(self, application):
        applicant = application.applicant
        return {"vehicule": {"first_registration_date": timezone.localdate().isoformat()},
                "titulaire": {"address_line": applicant.address_line, "postal_code": applicant.postal_code,
                              "city": applicant.city}}

    def fee_pending(self, application):
        return not (application.data.get("vehicule") or {}).get("vin")

    def fee_lines(self, application):
        if self.fee_pending(application):
            return fixed_lines()
        try:
            malus = malus_of(application)
        except MalusUnavailable:
            return fixed_lines()  # validate_submission says why the file cannot go
        vehicle = described_vehicle(application)
        postal_code = (application.data.get("titulaire") or {}).get("postal_code") or application.applicant.postal_code
        try:
            lines = certificate_lines(vehicle, departement_of(postal_code), timezone.localdate())
        except RateUnknown:
            lines = fixed_lines()
        return [*(malus.fee_lines() if malus else []), *lines]

    def validate_submission(self, application):
        try:
            malus_of(application)
        except MalusUnavailable as unavailable:
            return [Missing(unavailable.message, step="vehicule")]
        return []

    def summary_lines(self, application):
        lines = self.vehicle_line(application)
        data = application.data.get("vehicule") or {}
        if data.get("vin"):
            lines += [
                ("Numéro d'identification (VIN)", data["vin"]),
                ("Marque, dénomination, type", f"{data['make'].upper()} {data['model_name'].upper()} — "
                                               f"{data['type_code']}"),
                ("Genre, énergie", f"{Category(data['category']).label} ; {Energy(data['energy']).label}"),
                ("CO2 (WLTP), masse en ordre de marche, puissance fiscale",
                 f"{data['co2_g_km']} g/km ; {data['mass_kg']} kg ; {data['fiscal_horsepower']} CV"),
                ("Date de première immatriculation", french_date(data["first_registration_date"])),
            ]
        lines.append(("Titulaire", application.applicant.get_full_name()))
        lines += self.holder_lines(application)
        if application.organisation_id:
            lines.append(("Vendeur (professionnel)", application.organisation.name))
        return lines
