"""The steps of the pré-demande, the appointment page's forms and the mairie agent's forms."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from dsfr.forms import DsfrBaseForm

from accounts.enums import Gender
from core.forms import ConditionallyRequired
from identity.enums import (
    MOTIFS_WITH_CURRENT_TITLE,
    NATIONALITY_BASES_WITH_REFERENCE,
    PASSEPORT_ONLY_MOTIFS,
    Beneficiary,
    Motif,
    NationalityBasis,
    TitleKind,
)
from identity.rules import FINGERPRINT_MIN_AGE, MAJORITY_AGE, age_on, departement_of, normalise_mobile
from titles.models import CROCKFORD, is_valid_public_code, normalise_public_code

LOCKED_HELP = "Transmis par FranceConnect : ne peut pas être modifié ici."
# The état civil fields FranceConnect provides: read-only when the person is the applicant identified by it.
LOCKED_FIELDS = ("family_name", "given_names", "gender", "birth_date")


def date_field(label, **kwargs):
    return forms.DateField(label=label, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **kwargs)


class StepForm(ConditionallyRequired, DsfrBaseForm):
    """A step of the pré-demande: it knows the draft (the title, whom it is for) to adapt its fields."""

    def __init__(self, *args, application=None, kind=TitleKind.CNI, **kwargs):
        self.application = application
        self.kind = kind
        super().__init__(*args, **kwargs)

    def relabel(self, name, label=None, help_text=None):
        """Change a field's label or help text after __init__ (DsfrBaseForm has already built the bound fields)."""
        field = self.fields[name]
        if label is not None:
            field.label = label
        if help_text is not None:
            field.help_text = help_text
        self._bound_fields_cache.pop(name, None)

    @property
    def beneficiary(self):
        motif = (self.application.data.get("motif") or {}) if self.application else {}
        return motif.get("beneficiary") or Beneficiary.SELF


class MotifForm(StepForm):
    beneficiary = forms.ChoiceField(
        label="Pour qui faites-vous cette pré-demande ?",
        choices=Beneficiary.choices,
        widget=forms.RadioSelect,
        help_text="Pour un enfant mineur, c'est un parent (ou le tuteur) qui fait la pré-demande. L'enfant vient au "
        "rendez-vous avec lui ; à partir de 12 ans, ses empreintes digitales sont relevées et il doit aussi être "
        "présent au retrait du titre.",
    )
    motif = forms.ChoiceField(label="Motif de la demande", choices=Motif.choices, widget=forms.RadioSelect)
    current_title_valid_until = date_field(
        "Date de fin de validité du titre actuel",
        required=False,
        help_text="Pour un renouvellement ou un changement d'état civil ou d'adresse : elle figure sur le titre.",
    )
    conditionally_required = ("current_title_valid_until",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = "de la carte d'identité actuelle" if self.kind == TitleKind.CNI else "du passeport actuel"
        field = self.fields["current_title_valid_until"]
        self.relabel("current_title_valid_until", label=f"Date de fin de validité {current}")
        if self.kind == TitleKind.PASSEPORT:
            self.relabel("current_title_valid_until", help_text=field.help_text + " Un passeport encore valable "
                         "plus d'un an est modifié gratuitement ; un passeport encore valable dont les pages de "
                         "visas sont remplies est remplacé gratuitement.")
        else:
            self.fields["motif"].choices = [(value, label) for value, label in Motif.choices
                                            if value not in PASSEPORT_ONLY_MOTIFS]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("motif") in PASSEPORT_ONLY_MOTIFS and self.kind != TitleKind.PASSEPORT:
            self.add_error("motif", "Ce motif ne concerne que le passeport : choisissez un autre motif.")
        if cleaned.get("motif") in MOTIFS_WITH_CURRENT_TITLE:
            if not cleaned.get("current_title_valid_until"):
                self.add_error("current_title_valid_until", "Indiquez la date de fin de validité du titre actuel.")
        else:
            cleaned["current_title_valid_until"] = None
        return cleaned


class EtatCivilForm(StepForm):
    family_name = forms.CharField(label="Nom de naissance", max_length=150)
    usage_name = forms.CharField(
        label="Nom d'usage", max_length=150, required=False,
        help_text="Nom d'époux ou d'épouse, ou nom des deux parents, s'il doit figurer sur le titre.",
    )
    given_names = forms.CharField(label="Prénoms", max_length=150,
                                  help_text="Tous les prénoms, dans l'ordre de l'état civil, séparés par des espaces.")
    gender = forms.ChoiceField(label="Sexe", choices=Gender.choices, widget=forms.RadioSelect)
    birth_date = date_field("Date de naissance")
    birth_city = forms.CharField(label="Commune ou ville de naissance", max_length=150,
                                 help_text="Avec l'arrondissement pour Paris, Lyon et Marseille.")
    birth_country = forms.CharField(label="Pays de naissance", max_length=100, initial="France")
    height_cm = forms.IntegerField(label="Taille (en centimètres)", min_value=30, max_value=250,
                                   help_text="Par exemple 172. Elle est inscrite sur le titre.")

    def __init__(self, *args, locked=False, **kwargs):
        super().__init__(*args, **kwargs)
        if self.beneficiary == Beneficiary.CHILD:
            self.relabel("family_name", "Nom de naissance de l'enfant")
            self.relabel("given_names", "Prénoms de l'enfant")
            self.relabel("birth_date", "Date de naissance de l'enfant")
            self.relabel("height_cm", "Taille de l'enfant (en centimètres)")
        if locked:
            for name in LOCKED_FIELDS:
                self.fields[name].disabled = True
                self.relabel(name, help_text=LOCKED_HELP)

    def clean_birth_date(self):
        birth_date = self.cleaned_data["birth_date"]
        today = timezone.localdate()
        if birth_date > today:
            raise ValidationError("La date de naissance ne peut pas être dans le futur.")
        if age_on(birth_date, today) > 130:
            raise ValidationError("Vérifiez l'année de naissance.")
        adult = age_on(birth_date, today) >= MAJORITY_AGE
        if self.beneficiary == Beneficiary.CHILD and adult:
            raise ValidationError("Une personne majeure fait sa pré-demande elle-même, depuis son propre compte.")
        if self.beneficiary == Beneficiary.SELF and not adult:
            raise ValidationError("Pour un mineur, la pré-demande est faite par un parent : revenez à l'étape "
                                  "« Motif » et choisissez « Pour mon enfant mineur ».")
        return birth_date


class FiliationForm(StepForm):
    parent1_family_name = forms.CharField(label="Nom de naissance", max_length=150)
    parent1_given_names = forms.CharField(label="Prénoms", max_length=150)
    parent1_birth_date = date_field("Date de naissance", required=False, help_text="Si vous la connaissez.")
    parent1_birth_place = forms.CharField(label="Lieu de naissance (commune, pays)", max_length=150, required=False,
                                          help_text="Si vous le connaissez.")
    parent2_unknown = forms.BooleanField(label="Filiation établie à l'égard d'un seul parent", required=False)
    parent2_family_name = forms.CharField(label="Nom de naissance", max_length=150, required=False)
    parent2_given_names = forms.CharField(label="Prénoms", max_length=150, required=False)
    parent2_birth_date = date_field("Date de naissance", required=False, help_text="Si vous la connaissez.")
    parent2_birth_place = forms.CharField(label="Lieu de naissance (commune, pays)", max_length=150, required=False,
                                          help_text="Si vous le connaissez.")
    conditionally_required = ("parent2_family_name", "parent2_given_names")  # unless filiation to one parent only

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        whose = "de l'enfant" if self.beneficiary == Beneficiary.CHILD else "du titulaire"
        for number in (1, 2):
            for name in ("family_name", "given_names", "birth_date", "birth_place"):
                label = self.fields[f"parent{number}_{name}"].label
                self.relabel(f"parent{number}_{name}", f"Parent {number} {whose} — {label[0].lower()}{label[1:]}")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("parent2_unknown"):
            for name in ("family_name", "given_names", "birth_date", "birth_place"):
                cleaned[f"parent2_{name}"] = None if name == "birth_date" else ""
        else:
            for name in ("family_name", "given_names"):
                if not cleaned.get(f"parent2_{name}"):
                    self.add_error(f"parent2_{name}", "Renseignez le second parent, ou cochez « Filiation établie à "
                                                      "l'égard d'un seul parent ».")
        today = timezone.localdate()
        for number in (1, 2):
            birth_date = cleaned.get(f"parent{number}_birth_date")
            if birth_date and birth_date > today:
                self.add_error(f"parent{number}_birth_date", "La date de naissance ne peut pas être dans le futur.")
        return cleaned


class NationaliteForm(StepForm):
    basis = forms.ChoiceField(label="Comment la nationalité française est-elle acquise ?",
                              choices=NationalityBasis.choices, widget=forms.RadioSelect)
    reference = forms.CharField(
        label="Date et référence du décret ou de la déclaration", max_length=200, required=False,
        help_text="Pour une naturalisation, une réintégration, une déclaration ou une autre situation : par exemple "
        "« décret du 12 mars 2015 » ou « déclaration enregistrée le 3 mai 2018 ».",
    )
    conditionally_required = ("reference",)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("basis") in NATIONALITY_BASES_WITH_REFERENCE:
            if not cleaned.get("reference", "").strip():
                self.add_error("reference", "Précisez la date et la référence de l'acte qui établit la nationalité.")
        else:
            cleaned["reference"] = ""
        return cleaned


class CoordonneesForm(StepForm):
    address_line = forms.CharField(label="Adresse (numéro et voie)", max_length=255)
    address_complement = forms.CharField(label="Complément d'adresse", max_length=255, required=False,
                                         help_text="Bâtiment, appartement, « chez M. ou Mme … » si vous êtes hébergé.")
    postal_code = forms.CharField(label="Code postal", max_length=5, min_length=5)
    city = forms.CharField(label="Commune", max_length=150)
    mobile = forms.CharField(
        label="Numéro de téléphone mobile", max_length=25, required=False,
        help_text="Pour recevoir un SMS quand le titre est prêt à être retiré en mairie. Laissez vide si vous ne "
        "souhaitez pas de SMS. Format : 06 12 34 56 78.",
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.beneficiary == Beneficiary.CHILD:
            self.relabel("address_line", "Adresse de l'enfant (numéro et voie)")

    def clean_postal_code(self):
        postal_code = self.cleaned_data["postal_code"].strip()
        if not departement_of(postal_code):
            raise ValidationError("Saisissez un code postal français à 5 chiffres. Si vous résidez à l'étranger, la "
                                  "demande se fait au consulat.")
        return postal_code

    def clean_mobile(self):
        raw = self.cleaned_data.get("mobile", "")
        return normalise_mobile(raw) if raw.strip() else ""


# The appointment page -----------------------------------------------------------------------------------------


class SlotFilterForm(DsfrBaseForm):
    commune = forms.CharField(label="Commune ou code postal", max_length=60, required=False)
    semaine = forms.DateField(required=False, widget=forms.HiddenInput)


class BookingForm(DsfrBaseForm):
    slot = forms.IntegerField(widget=forms.HiddenInput, error_messages={"required": "Choisissez un créneau."})


# The mairie side ------------------------------------------------------------------------------------------------


class LookupForm(DsfrBaseForm):
    numero = forms.CharField(
        label="Numéro de pré-demande ou code du QR code",
        max_length=30,
        help_text="Les 10 caractères du numéro de pré-demande, ou les 12 caractères du code de vérification lus "
        "sous le QR code du récapitulatif.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
    )

    def clean_numero(self):
        code = normalise_public_code(self.cleaned_data["numero"])
        if len(code) not in (10, 12) or any(c not in CROCKFORD for c in code[:-1]) or not is_valid_public_code(code):
            raise ValidationError("Ce numéro n'est pas valide : vérifiez chaque caractère (10 pour un numéro de "
                                  "pré-demande, 12 pour un code de vérification).")
        return code


class DepositForm(DsfrBaseForm):
    mairie = forms.ModelChoiceField(label="Mairie", queryset=None, empty_label=None)
    holder_present = forms.BooleanField(
        label="Le titulaire du titre est présent et son identité a été vérifiée",
        error_messages={"required": "Le titulaire doit être présent pour le dépôt."},
    )
    fingerprints_taken = forms.BooleanField(
        label="Empreintes digitales relevées",
        error_messages={"required": "Le relevé des empreintes est obligatoire à partir de 12 ans."},
    )
    pieces = forms.MultipleChoiceField(label="Pièces vérifiées", widget=forms.CheckboxSelectMultiple)
    note = forms.CharField(label="Observation (facultatif)", required=False, max_length=1000,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, mairies, pieces, holder_age, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mairie"].queryset = mairies
        self.required_pieces = [piece for piece in pieces if not piece.conditional]
        self.fields["pieces"].choices = [(piece.code, piece.label) for piece in pieces]
        self.fields["pieces"].required = bool(self.required_pieces)
        self.fields["pieces"].help_text = ("Cochez chaque pièce présentée. Une pièce qui n'est demandée que dans "
                                           "certains cas (précisés dans son libellé) peut rester décochée.")
        self._bound_fields_cache.clear()  # choices and help text changed after DsfrBaseForm built the bound fields
        if holder_age < FINGERPRINT_MIN_AGE:
            del self.fields["fingerprints_taken"]

    def clean(self):
        cleaned = super().clean()
        given = set(cleaned.get("pieces") or [])
        missing = [piece.label for piece in self.required_pieces if piece.code not in given]
        if "pieces" in cleaned and missing:
            self.add_error("pieces", "Le dépôt ne peut pas être enregistré sans : " + " ; ".join(missing) + ". "
                                     "Proposez un nouveau rendez-vous à l'usager.")
        cleaned.setdefault("fingerprints_taken", False)
        return cleaned


class CancelForm(DsfrBaseForm):
    confirm = forms.BooleanField(label="Je confirme l'annulation de mon rendez-vous")
