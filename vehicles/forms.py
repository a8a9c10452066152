"""The step forms of the vehicle procedures. Each receives the application (the engine calls
`Procedure.get_step_form`), and `record=False` when the engine re-checks stored data before submission, so that
only what a person types counts as an attempt against the lockouts."""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from dsfr.forms import DsfrBaseForm

from core.formats import french_date
from core.forms import ConditionallyRequired, EmailField
from vehicles import attempts, register, services
from vehicles.deadlines import (
    cession_deadline,
    changement_adresse_deadline,
    changement_titulaire_deadline,
    contre_visite_valid,
    controle_technique_after_years,
    controle_technique_valid,
    needs_controle_technique,
)
from vehicles.enums import LATE_FINE_EUROS, BuyerKind, DuplicataReason
from vehicles.fees import RateUnknown, rate_for
from vehicles.formats import (
    FORMULE_HELP,
    PLATE_HELP,
    FormatError,
    compact,
    departement_of,
    parse_code_de_cession,
    parse_numero_formule,
    parse_postal_code,
    parse_registration,
    parse_siren,
    parse_vin,
)

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME_WIDGET = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def late_message(what, deadline):
    return (f"{what} devait être faite avant le {french_date(deadline)} : elle est tardive et vous expose "
            f"à une amende de {LATE_FINE_EUROS} €. Cochez la case pour confirmer et poursuivre.")


def late_field(label):
    return forms.BooleanField(label=label, required=False,
                              help_text=f"Uniquement si le délai légal est dépassé (amende de {LATE_FINE_EUROS} €).")


class VehicleStepForm(ConditionallyRequired, DsfrBaseForm):
    def __init__(self, *args, application=None, record=True, **kwargs):
        self.application = application
        self.record = record
        super().__init__(*args, **kwargs)

    def describe(self, name, *, label=None, help_text=None):
        """Change a field's label or help text after construction (the DSFR form has already bound its fields)."""
        for target in (self.fields[name], self[name]):
            if label is not None:
                target.label = label
            if help_text is not None:
                target.help_text = help_text

    def parse(self, name, parser):
        try:
            return parser(self.cleaned_data.get(name))
        except FormatError as error:
            raise ValidationError(error.reason) from error


class OwnershipForm(VehicleStepForm):
    """Prove the vehicle is yours: registration number, numéro de formule (or the certificate's date for an FNI
    certificate), the holder's name as printed."""

    registration_number = forms.CharField(label="Numéro d'immatriculation", help_text=PLATE_HELP, max_length=20)
    numero_formule = forms.CharField(
        label="Numéro de formule", required=False, max_length=24,
        help_text=FORMULE_HELP + " Carte grise à l'ancien format (123 ABC 83) : laissez vide et indiquez la date "
        "du certificat.",
    )
    certificate_date = forms.DateField(
        label="Date du certificat d'immatriculation (repère I)", required=False, widget=DATE_WIDGET,
        help_text="Seulement pour une carte grise à l'ancien format, qui n'a pas de numéro de formule.",
    )
    family_name = forms.CharField(label="Nom du titulaire, tel qu'inscrit sur le certificat (repère C.1.1)",
                                  help_text="Ou la raison sociale pour une société.", max_length=150)
    given_names = forms.CharField(label="Prénom(s) du titulaire, dans l'ordre du certificat (repère C.1.2)",
                                  required=False, max_length=150, help_text="Vide pour une société.")

    allow_vin = False
    conditionally_required = ("numero_formule", "certificate_date")  # one or the other, by the certificate's format

    def clean_registration_number(self):
        self.registration = self.parse("registration_number", parse_registration)
        return self.registration.number

    def clean_numero_formule(self):
        value = compact(self.cleaned_data.get("numero_formule"))
        if not value:
            return ""
        if self.allow_vin and len(value) > 11:
            return self.parse("numero_formule", parse_vin)
        return self.parse("numero_formule", parse_numero_formule)

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        secret = cleaned.get("numero_formule") or ""
        vin = secret if len(secret) == 17 else ""
        if self.registration.is_siv and not secret:
            self.add_error("numero_formule", "Indiquez le numéro de formule de la carte grise.")
            return cleaned
        if not self.registration.is_siv and not (cleaned.get("certificate_date") or vin):
            self.add_error("certificate_date", "Indiquez la date du certificat : les cartes grises à l'ancien "
                                               "format n'ont pas de numéro de formule.")
            return cleaned
        try:
            proof = attempts.prove_ownership(
                registration=self.registration.number, applicant=self.application.applicant,
                actor=self.application.filed_by, family_name=cleaned["family_name"],
                given_names=cleaned.get("given_names") or "", numero_formule="" if vin else secret,
                certificate_date=cleaned.get("certificate_date"), vin=vin, record=self.record,
            )
        except attempts.Refused as refused:
            raise ValidationError(refused.reason) from refused
        refusal = register.sold_refusal(proof.vehicle)
        if refusal:
            raise ValidationError(refusal)
        cleaned["vehicle_id"] = proof.vehicle.pk
        return cleaned


class DuplicataOwnershipForm(OwnershipForm):
    allow_vin = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.describe("numero_formule", label="Numéro de formule, ou numéro VIN si vous n'avez plus la carte grise",
                      help_text="Le numéro de formule figure sur la carte grise (2017AB12345). Si vous ne l'avez "
                      "plus, indiquez le numéro d'identification du véhicule (VIN, 17 caractères, sur le véhicule) : "
                      "cela suffit si la carte grise est à votre nom dans votre compte.")


class CessionForm(VehicleStepForm):
    sold_on = forms.DateField(label="Date de la cession", widget=DATE_WIDGET)
    sold_time = forms.TimeField(label="Heure de la cession", widget=TIME_WIDGET,
                                help_text="L'heure à laquelle vous avez remis le véhicule : vous n'en êtes plus "
                                          "responsable à partir de ce moment.")
    mileage = forms.IntegerField(label="Kilométrage au compteur", min_value=0, max_value=3_000_000)
    late_acknowledged = late_field("Je déclare la cession après le délai de 15 jours")
    conditionally_required = ("late_acknowledged",)  # once the deadline is past

    def clean(self):
        cleaned = super().clean()
        sold_on, sold_time = cleaned.get("sold_on"), cleaned.get("sold_time")
        if not (sold_on and sold_time):
            return cleaned
        if timezone.make_aware(datetime.datetime.combine(sold_on, sold_time)) > timezone.now():
            self.add_error("sold_on", "La date et l'heure de la cession ne peuvent pas être dans le futur.")
            return cleaned
        vehicle = services.vehicle_of(self.application) if self.application else None
        if vehicle and sold_on < vehicle.first_registration_date:
            self.add_error("sold_on", "La cession ne peut pas précéder la première immatriculation du véhicule.")
        deadline = cession_deadline(sold_on)
        if deadline < timezone.localdate() and not cleaned.get("late_acknowledged"):
            self.add_error("late_acknowledged", late_message("La déclaration de cession", deadline))
        return cleaned


class BuyerForm(VehicleStepForm):
    buyer_kind = forms.ChoiceField(label="L'acquéreur est", choices=BuyerKind.choices, widget=forms.RadioSelect)
    family_name = forms.CharField(label="Nom de l'acquéreur", required=False, max_length=150,
                                  help_text="Pour un particulier.")
    given_names = forms.CharField(label="Prénom(s) de l'acquéreur", required=False, max_length=150,
                                  help_text="Pour un particulier.")
    company_name = forms.CharField(label="Raison sociale", required=False, max_length=150,
                                   help_text="Pour une société.")
    siren = forms.CharField(label="Numéro SIREN", required=False, max_length=20,
                            help_text="Pour une société : 9 chiffres, les 9 premiers du SIRET.")
    email = EmailField(
        label="Adresse électronique de l'acquéreur, si vous la connaissez", required=False,
        help_text="L'acquéreur recevra une invitation à faire son changement de titulaire ; vous serez prévenu "
                  "quand il l'aura fait.",
    )

    conditionally_required = ("family_name", "given_names", "company_name", "siren")

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("buyer_kind")
        if kind == BuyerKind.PERSON:
            for name, label in (("family_name", "le nom"), ("given_names", "le ou les prénoms")):
                if not cleaned.get(name):
                    self.add_error(name, f"Indiquez {label} de l'acquéreur.")
            cleaned.update(company_name="", siren="")
        elif kind == BuyerKind.COMPANY:
            if not cleaned.get("company_name"):
                self.add_error("company_name", "Indiquez la raison sociale de l'acquéreur.")
            if not cleaned.get("siren"):
                self.add_error("siren", "Indiquez le numéro SIREN de l'acquéreur.")
            else:
                try:
                    cleaned["siren"] = self.parse("siren", parse_siren)
                except ValidationError as error:
                    self.add_error("siren", error)
            cleaned.update(family_name="", given_names="")
        email = (cleaned.get("email") or "").lower()
        cleaned["email"] = email
        if email and self.application and email == self.application.applicant.email.lower():
            self.add_error("email", "C'est l'adresse du vendeur : indiquez celle de l'acquéreur, ou laissez vide.")
        return cleaned


class CessionCodeForm(VehicleStepForm):
    """The buyer's key: the registration number and the code de cession. The code is checked here (with the
    lockouts) and never stored: the step keeps the cession it unlocked."""

    registration_number = forms.CharField(label="Numéro d'immatriculation", help_text=PLATE_HELP, max_length=20)
    code_de_cession = forms.CharField(
        label="Code de cession", required=False, max_length=30,
        help_text="12 caractères, remis par le vendeur : il figure sur son exemplaire de l'accusé d'enregistrement.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
    )
    late_acknowledged = late_field("Je fais le changement de titulaire après le délai d'un mois")
    # The code is not asked again once this draft has unlocked the cession; the box, once the deadline is past.
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
                cession = attempts.verify_code_de_cession(
                    registration=self.registration.number, code=code, applicant=self.application.applicant,
                    actor=self.application.filed_by, application=self.application, record=self.record,
                )
            except attempts.Refused as refused:
                raise ValidationError(refused.reason) from refused
        else:
            cession = attempts.verified_cession(self.application, self.registration.number)
            if cession is None:
                self.add_error("code_de_cession", "Indiquez le code de cession que le vendeur vous a remis.")
                return cleaned
        deadline = changement_titulaire_deadline(cession.sold_at)
        if deadline < timezone.localdate() and not cleaned.get("late_acknowledged"):
            self.add_error("late_acknowledged", late_message("Le changement de titulaire", deadline))
        # Never store the code: the cession it unlocked is enough, and the engine re-checks it before submission.
        cleaned.update(code_de_cession="", cession_id=cession.pk, vehicle_id=cession.vehicle_id)
        return cleaned


class AddressFields(VehicleStepForm):
    address_line = forms.CharField(label="Adresse (numéro et voie)", max_length=255)
    postal_code = forms.CharField(label="Code postal", max_length=10)
    city = forms.CharField(label="Commune", max_length=150)

    def clean_postal_code(self):
        return self.parse("postal_code", parse_postal_code)


class NewHolderForm(AddressFields):
    """The new holder's address (printed on the certificate; its région sets the taxe régionale), and a
    cotitulaire if there is one."""

    cotitulaire_family_name = forms.CharField(label="Nom du cotitulaire (facultatif)", required=False,
                                              max_length=150)
    cotitulaire_given_names = forms.CharField(label="Prénom(s) du cotitulaire", required=False, max_length=150)

    def clean_postal_code(self):
        code = super().clean_postal_code()
        try:
            rate_for(departement_of(code), timezone.localdate())
        except RateUnknown as error:
            raise ValidationError("Ce code postal ne correspond à aucun département où la taxe régionale est "
                                  "connue : vérifiez-le.") from error
        return code


class ControleTechniqueForm(VehicleStepForm):
    ct_date = forms.DateField(label="Date du dernier contrôle technique", required=False, widget=DATE_WIDGET)
    contre_visite_date = forms.DateField(
        label="Date de la contre-visite", required=False, widget=DATE_WIDGET,
        help_text="Seulement si le contrôle a prescrit une contre-visite : elle doit dater de moins de 2 mois au jour "
                  "de la vente (article R323-22 du code de la route).")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.cession = services.cession_of(self.application) if self.application else None
        vehicle = self.cession.vehicle if self.cession else None
        self.years = controle_technique_after_years(vehicle.category, self.cession.sold_at) if vehicle else None
        self.required = bool(self.cession) and needs_controle_technique(
            vehicle.first_registration_date, self.cession.sold_at, vehicle.category)
        if self.required:
            self.fields["ct_date"].required = True
            self.fields["ct_date"].error_messages["required"] = (
                "Indiquez la date du contrôle technique : il est obligatoire pour un véhicule de plus de "
                f"{self.years} ans.")
            self.describe("ct_date", help_text=f"Obligatoire : le véhicule a plus de {self.years} ans. Le contrôle "
                          "doit dater de moins de 6 mois au jour de la vente ; vous joindrez le procès-verbal à "
                          "l'étape des pièces.")
        elif self.years is None:
            self.describe("ct_date", help_text="Ce véhicule n'était pas soumis au contrôle technique au jour de la "
                                               "vente.")
        else:
            self.describe("ct_date", help_text=f"Le véhicule a moins de {self.years} ans : le contrôle technique "
                                               "n'est pas exigé.")

    def clean_ct_date(self):
        ct_date = self.cleaned_data.get("ct_date")
        if not self.required:
            return ct_date
        if ct_date is None:
            raise ValidationError("Indiquez la date du contrôle technique : il est obligatoire pour un véhicule de "
                                  f"plus de {self.years} ans.")
        if ct_date > timezone.localdate():
            raise ValidationError("La date du contrôle technique ne peut pas être dans le futur.")
        if not controle_technique_valid(ct_date, self.cession.sold_at):
            raise ValidationError("Ce contrôle technique date de plus de 6 mois au jour de la vente : le vendeur "
                                  "doit vous remettre un contrôle de moins de 6 mois.")
        return ct_date

    def clean(self):
        cleaned = super().clean()
        ct_date, contre_visite = cleaned.get("ct_date"), cleaned.get("contre_visite_date")
        if contre_visite is None or not self.required or ct_date is None:
            return cleaned
        if contre_visite > timezone.localdate():
            self.add_error("contre_visite_date", "La date de la contre-visite ne peut pas être dans le futur.")
        elif contre_visite < ct_date:
            self.add_error("contre_visite_date", "La contre-visite suit le contrôle : sa date ne peut pas être "
                                                 "antérieure à celle du contrôle technique.")
        elif not contre_visite_valid(contre_visite, self.cession.sold_at):
            self.add_error("contre_visite_date", "Cette contre-visite date de plus de 2 mois au jour de la vente : "
                                                 "le vendeur doit faire passer une nouvelle contre-visite.")
        return cleaned


class AddressChangeForm(AddressFields):
    moved_on = forms.DateField(label="Date de votre déménagement", widget=DATE_WIDGET)
    late_acknowledged = late_field("Je déclare ma nouvelle adresse après le délai d'un mois")
    conditionally_required = ("late_acknowledged",)  # once the deadline is past

    def clean(self):
        cleaned = super().clean()
        moved_on = cleaned.get("moved_on")
        if moved_on is None:
            return cleaned
        if moved_on > timezone.localdate():
            self.add_error("moved_on", "Déclarez votre nouvelle adresse une fois installé : la date ne peut pas être "
                                       "dans le futur.")
            return cleaned
        deadline = changement_adresse_deadline(moved_on)
        if deadline < timezone.localdate() and not cleaned.get("late_acknowledged"):
            self.add_error("late_acknowledged", late_message("La déclaration de changement d'adresse", deadline))
        return cleaned


class DuplicataReasonForm(VehicleStepForm):
    reason = forms.ChoiceField(label="Motif", choices=DuplicataReason.choices, widget=forms.RadioSelect)
    event_date = forms.DateField(label="Date de la perte, du vol ou de la détérioration", widget=DATE_WIDGET)
    police_reference = forms.CharField(
        label="Référence de la déclaration de vol", required=False, max_length=60,
        help_text="En cas de vol : le numéro du récépissé de plainte remis par la police ou la gendarmerie.",
    )
    conditionally_required = ("police_reference",)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("event_date") and cleaned["event_date"] > timezone.localdate():
            self.add_error("event_date", "La date ne peut pas être dans le futur.")
        if cleaned.get("reason") == DuplicataReason.VOL and not (cleaned.get("police_reference") or "").strip():
            self.add_error("police_reference", "En cas de vol, indiquez la référence de votre déclaration à la "
                                               "police ou à la gendarmerie.")
        if cleaned.get("reason") != DuplicataReason.VOL:
            cleaned["police_reference"] = ""
        return cleaned


class ProMandateForm(DsfrBaseForm):
    """A professionnel de l'automobile asks a client for a mandate; the client confirms it on the web."""

    email = EmailField(label="Adresse électronique du client",
                       help_text="Celle de son compte sur le portail : il y reçoit la demande de mandat.")
    given_names = forms.CharField(label="Prénoms du client", max_length=150)
    family_name = forms.CharField(label="Nom du client", max_length=150)
    procedures = forms.MultipleChoiceField(label="Démarches confiées", widget=forms.CheckboxSelectMultiple)
    months = forms.TypedChoiceField(label="Durée du mandat", coerce=int, initial=6, choices=[
        (1, "1 mois"), (6, "6 mois"), (12, "1 an")])

    def __init__(self, *args, procedures=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["procedures"].choices = [(procedure.code, procedure.label) for procedure in procedures]

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()
