"""The steps of the licence procedures, and the driving school's forms."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from dsfr.forms import DsfrBaseForm

from accounts.forms import PortalSetPasswordForm
from core.dates import add_years
from core.forms import ConditionallyRequired, EmailField
from licences.enums import (
    CODE_ONLY_MAX_BAN_MONTHS,
    CODE_ONLY_MIN_HELD_YEARS,
    FOREIGN_LICENCE_RECOGNITION_YEARS,
    HEAVY_CATEGORIES,
    Category,
    Exams,
    IssuingZone,
    LicenceStatus,
    PhotoMode,
)
from licences.ephoto import EphotoError, get_provider, normalise_code
from licences.models import neph_validator
from titles.enums import ConsentMethod


def date_field(label, **kwargs):
    return forms.DateField(label=label, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **kwargs)


def categories_field(label="Catégories", choices=Category.choices, **kwargs):
    return forms.MultipleChoiceField(label=label, choices=choices, widget=forms.CheckboxSelectMultiple, **kwargs)


HEAVY_CHOICES = [(value, label) for value, label in Category.choices if value in HEAVY_CATEGORIES]


def not_in_future(value):
    if value and value > timezone.localdate():
        raise ValidationError("Cette date ne peut pas être dans le futur.")


def required_exams(*, held_since, ban_months):
    """Return what must be passed again after an annulation or an invalidation: the code only when the licence
    had been held 3 years at least and the ban was shorter than a year (see docs/glossary.md)."""
    if held_since is None or ban_months is None:
        return Exams.CODE_AND_DRIVING
    held_enough = add_years(held_since, CODE_ONLY_MIN_HELD_YEARS) <= timezone.localdate()
    return Exams.CODE if held_enough and ban_months < CODE_ONLY_MAX_BAN_MONTHS else Exams.CODE_AND_DRIVING


class PhotoSignatureForm(ConditionallyRequired, DsfrBaseForm):
    photo_mode = forms.ChoiceField(label="Votre photo et votre signature", choices=PhotoMode.choices,
                                   widget=forms.RadioSelect, initial=PhotoMode.EPHOTO)
    ephoto_code = forms.CharField(
        label="Code photo-signature numérique", required=False, max_length=40,
        help_text="Les 22 caractères imprimés sur votre planche de photos, faite dans une cabine ou chez un "
        "photographe « Agréé service en ligne ANTS ». Le code sert une seule fois et reste valable 6 mois.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    conditionally_required = ("ephoto_code",)  # unless a paper photo is sent

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("photo_mode") != PhotoMode.EPHOTO:
            cleaned["ephoto_code"] = ""
            return cleaned
        code = normalise_code(cleaned.get("ephoto_code"))
        if not code:
            self.add_error("ephoto_code", "Saisissez votre code photo-signature numérique, ou choisissez l'envoi "
                                          "d'une photo papier.")
            return cleaned
        try:
            get_provider().fetch(code)
        except EphotoError as error:
            self.add_error("ephoto_code", error.reason)
        else:
            cleaned["ephoto_code"] = code
        return cleaned


class InscriptionForm(DsfrBaseForm):
    categories = categories_field("Catégories que vous voulez passer")
    neph = forms.CharField(
        label="Votre NEPH (numéro de dossier), si vous en avez déjà un", required=False, max_length=16,
        help_text="12 chiffres. Si vous avez déjà été inscrit, ou si votre permis a été annulé, indiquez-le : le "
        "NEPH est conservé à vie. Sinon laissez vide, il vous sera attribué.",
    )
    training = forms.ChoiceField(
        label="Formation", choices=[
            ("standard", "Formation traditionnelle"),
            ("aac", "Apprentissage anticipé de la conduite (conduite accompagnée, dès 15 ans)"),
            ("supervised", "Conduite supervisée"),
            ("fimo", "Formation professionnelle initiale (FIMO) : groupe lourd avant 21 ans (C) ou 24 ans (D)"),
        ], initial="standard",
    )

    def clean_neph(self):
        neph = self.cleaned_data["neph"].replace(" ", "")
        if neph:
            neph_validator(neph)
        return neph


class FabricationForm(DsfrBaseForm):
    category = forms.ChoiceField(label="Catégorie obtenue", choices=Category.choices)
    exam_date = date_field("Date de réussite à l'examen", validators=[not_in_future],
                           help_text="Elle figure sur votre certificat d'examen du permis de conduire (CEPC).")


class LossForm(DsfrBaseForm):
    lost_on = date_field("Date de la perte (approximative si vous ne la connaissez pas)", validators=[not_in_future])
    lost_place = forms.CharField(label="Commune où vous pensez l'avoir perdu", max_length=120, required=False)
    circumstances = forms.CharField(label="Circonstances", max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))
    sworn = forms.BooleanField(
        label="Je déclare sur l'honneur avoir perdu mon permis de conduire. Je sais que cette déclaration ne peut "
        "pas être annulée si je le retrouve.",
        error_messages={"required": "Cochez la case pour faire votre déclaration de perte."},
    )


class TheftForm(DsfrBaseForm):
    stolen_on = date_field("Date du vol", validators=[not_in_future])
    police_reference = forms.CharField(
        label="Référence du récépissé de déclaration de vol", max_length=40,
        help_text="Le numéro inscrit sur le récépissé remis par la police ou la gendarmerie.",
    )
    police_service = forms.CharField(label="Commissariat ou brigade de gendarmerie", max_length=120)
    declared_on = date_field("Date de la déclaration de vol", validators=[not_in_future])

    def clean(self):
        cleaned = super().clean()
        stolen, declared = cleaned.get("stolen_on"), cleaned.get("declared_on")
        if stolen and declared and declared < stolen:
            self.add_error("declared_on", "La déclaration ne peut pas précéder le vol.")
        return cleaned


class DamageForm(DsfrBaseForm):
    damage = forms.CharField(label="Ce qui est abîmé", max_length=500, widget=forms.Textarea(attrs={"rows": 2}),
                             help_text="Par exemple : carte cassée, photo effacée, numéro illisible.")


class RenewalForm(DsfrBaseForm):
    reason = forms.ChoiceField(label="Motif du renouvellement", widget=forms.RadioSelect, choices=[
        ("heavy", "Fin de validité d'une catégorie du groupe lourd (C1 à DE)"),
        ("medical", "Fin de validité d'un permis délivré pour une durée limitée (restriction médicale)"),
        ("card", "Fin de validité administrative du titre (15 ans)"),
    ])
    categories = categories_field("Catégories à renouveler")
    medical_restriction = forms.BooleanField(label="Mon permis porte une restriction médicale", required=False)


class CivilStatusForm(DsfrBaseForm):
    change = forms.ChoiceField(label="Changement", choices=[
        ("marriage", "Mariage ou PACS (nom d'usage)"),
        ("divorce", "Divorce"),
        ("name", "Changement de nom ou de prénom"),
        ("gender", "Changement de la mention du sexe"),
    ])
    new_family_name = forms.CharField(label="Nom à faire figurer sur le permis", max_length=150)
    new_given_names = forms.CharField(label="Prénoms à faire figurer sur le permis", max_length=150)
    changed_on = date_field("Date du changement", validators=[not_in_future])


class ProfessionalDiplomaForm(DsfrBaseForm):
    diploma = forms.ChoiceField(label="Diplôme", choices=[
        ("tp_goods", "Titre professionnel de conducteur du transport routier de marchandises"),
        ("tp_passengers", "Titre professionnel de conducteur du transport en commun sur route"),
        ("cap", "CAP conducteur routier de marchandises ou agent d'accueil et de conduite routière"),
        ("bac_pro", "Baccalauréat professionnel conducteur transport routier de marchandises"),
    ])
    obtained_on = date_field("Date d'obtention du diplôme", validators=[not_in_future])
    categories = categories_field("Catégories validées par le diplôme", choices=HEAVY_CHOICES)


class MilitaryLicenceForm(DsfrBaseForm):
    brevet_number = forms.CharField(label="Numéro du brevet militaire de conduite", max_length=40)
    obtained_on = date_field("Date d'obtention du brevet", validators=[not_in_future])
    service_end = date_field("Date de fin de service (effective ou prévue)")
    categories = categories_field("Catégories du brevet")


class AfterAnnulmentForm(ConditionallyRequired, DsfrBaseForm):
    measure = forms.ChoiceField(label="Mesure", choices=[
        (LicenceStatus.ANNULLED, "Annulation (décision de justice)"),
        (LicenceStatus.INVALIDATED, "Invalidation (solde de points nul, lettre 48SI)"),
    ])
    decided_on = date_field("Date de la décision (ou de la lettre 48SI)", validators=[not_in_future])
    ban_months = forms.IntegerField(
        label="Durée de l'interdiction de solliciter un nouveau permis (en mois)", min_value=0, max_value=120,
        help_text="6 mois pour une invalidation (1 an si une autre a eu lieu dans les 5 ans) ; pour une annulation, "
        "la durée fixée par le juge.",
    )
    held_since = date_field("Date d'obtention de votre premier permis", validators=[not_in_future])
    code_passed_on = date_field("Date de réussite à l'examen du code", validators=[not_in_future])
    driving_passed_on = date_field("Date de réussite à l'examen de conduite", required=False,
                                   validators=[not_in_future])
    categories = categories_field("Catégories obtenues à nouveau")
    conditionally_required = ("driving_passed_on",)  # when the licence was under 3 years old or the ban a year

    def clean(self):
        cleaned = super().clean()
        exams = required_exams(held_since=cleaned.get("held_since"), ban_months=cleaned.get("ban_months"))
        if exams == Exams.CODE_AND_DRIVING and not cleaned.get("driving_passed_on") and not self.has_error(
            "driving_passed_on"
        ):
            self.add_error("driving_passed_on", "Votre permis était détenu depuis moins de 3 ans, ou l'interdiction "
                                                "atteignait un an : vous devez aussi réussir l'examen de conduite.")
        decided = cleaned.get("decided_on")
        code_passed = cleaned.get("code_passed_on")
        if decided and code_passed and code_passed < decided:
            self.add_error("code_passed_on", "L'examen doit avoir été réussi après la décision.")
        return cleaned


class AfterSuspensionForm(DsfrBaseForm):
    decided_on = date_field("Date de début de la suspension", validators=[not_in_future])
    suspension_months = forms.IntegerField(label="Durée de la suspension (en mois)", min_value=1, max_value=120)


class ExchangeForm(DsfrBaseForm):
    zone = forms.ChoiceField(label="Pays qui a délivré votre permis", choices=IssuingZone.choices,
                             widget=forms.RadioSelect)
    country = forms.CharField(label="Nom du pays", max_length=80)
    licence_number = forms.CharField(label="Numéro du permis étranger", max_length=40)
    licence_issued_on = date_field("Date de délivrance du permis étranger", validators=[not_in_future])
    categories = categories_field("Catégories équivalentes demandées")
    settled_on = date_field("Date de votre installation en France (résidence normale)", validators=[not_in_future])
    student = forms.BooleanField(label="Je réside en France en qualité d'étudiant(e)", required=False,
                                 help_text="Les étudiants ne sont pas soumis au délai d'un an.")
    in_french = forms.BooleanField(label="Mon permis est rédigé en français", required=False)

    def clean(self):
        cleaned = super().clean()
        settled, issued = cleaned.get("settled_on"), cleaned.get("licence_issued_on")
        if issued and settled and issued > settled:
            self.add_error("licence_issued_on", "Le permis doit avoir été délivré par l'État où vous résidiez avant "
                                                "de vous installer en France.")
        if (cleaned.get("zone") == IssuingZone.OTHER and settled and not cleaned.get("student")
                and add_years(settled, FOREIGN_LICENCE_RECOGNITION_YEARS) < timezone.localdate()):
            self.add_error("settled_on", "Un permis délivré hors de l'Union européenne n'est reconnu en France que "
                                         "pendant un an après votre installation, et ne peut être échangé que dans "
                                         "ce délai. Passé un an, il faut passer le permis français.")
        return cleaned


class InternationalForm(DsfrBaseForm):
    destination = forms.CharField(label="Pays où vous allez conduire", max_length=120, required=False)
    commitment = forms.BooleanField(
        label="Je m'engage à envoyer au CERT de Nantes, dans les 2 mois, l'attestation de dépôt, une photo "
        "d'identité et une enveloppe affranchie à mon adresse. Sans cet envoi, ma demande sera close.",
        error_messages={"required": "Cochez la case : sans l'envoi du courrier, la demande ne peut pas aboutir."},
    )


# The driving school's side.

class StudentMandateForm(DsfrBaseForm):
    """A driving school enrols a student: it asks for a mandate (electronic) or declares the paper one it holds."""

    email = EmailField(label="Adresse électronique de l'élève",
                       help_text="L'élève y reçoit la demande de mandat, puis un courriel à chaque étape.")
    given_names = forms.CharField(label="Prénoms de l'élève", max_length=150)
    family_name = forms.CharField(label="Nom de l'élève", max_length=150)
    birth_date = date_field("Date de naissance de l'élève", validators=[not_in_future])
    procedures = forms.MultipleChoiceField(label="Démarches confiées à l'école", widget=forms.CheckboxSelectMultiple)
    consent_method = forms.ChoiceField(label="Consentement de l'élève", choices=ConsentMethod.choices,
                                       widget=forms.RadioSelect, initial=ConsentMethod.ELECTRONIC)
    months = forms.TypedChoiceField(label="Durée du mandat", coerce=int, initial=12, choices=[
        (6, "6 mois"), (12, "1 an"), (24, "2 ans")])
    paper_kept = forms.BooleanField(
        label="Mandat papier : je certifie que l'école détient le mandat signé par l'élève et le conservera au "
        "moins 6 mois.", required=False,
    )

    def __init__(self, *args, procedures=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.procedure_objects = {p.code: p for p in procedures}
        self.fields["procedures"].choices = [(p.code, p.label) for p in procedures]
        self.fields["procedures"].initial = [code for code in ("permis-inscription", "permis-fabrication")
                                             if code in self.procedure_objects]

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("consent_method") == ConsentMethod.PAPER:
            if not cleaned.get("paper_kept"):
                self.add_error("paper_kept", "Cochez la case : un mandat papier doit être signé et conservé par "
                                             "l'école.")
            for code in cleaned.get("procedures", []):
                refusal = self.procedure_objects[code].refuse_mandate_method(ConsentMethod.PAPER)
                if refusal:
                    self.add_error("procedures", refusal)
        return cleaned


class TransferRequestForm(DsfrBaseForm):
    reference = forms.CharField(
        label="Numéro du dossier de l'élève", max_length=20,
        help_text="Les 10 caractères communiqués par l'élève (sur son récépissé ou son espace).",
    )
    family_name = forms.CharField(label="Nom de l'élève", max_length=150)


class StudentPasswordForm(PortalSetPasswordForm):
    """The student whose account the school created chooses a password, then confirms the mandate."""

