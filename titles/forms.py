from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from dsfr.forms import DsfrBaseForm

from core.forms import EmailField
from titles.cards import Card
from titles.enums import ConsentMethod, InfoRequestReason
from titles.models import is_valid_public_code, normalise_public_code
from titles.payments import normalise_timbre_number
from titles.uploads import UploadRejected, clean_upload


class EligibilityForm(DsfrBaseForm):
    """The questions a procedure asks before its form."""

    def __init__(self, *args, questions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        for question in questions:
            self.fields[question.name] = forms.ChoiceField(
                label=question.label,
                choices=question.choices,
                widget=forms.RadioSelect,
                help_text=question.help_text,
                error_messages={"required": "Merci de répondre à cette question."},
            )

    def outcome(self):
        """Return ("ok", None), ("redirect", procedure_code) or ("unsupported", explanation)."""
        for question in self.questions:
            answer = self.cleaned_data[question.name]
            if answer in question.redirect:
                return "redirect", question.redirect[answer]
            if answer in question.unsupported:
                return "unsupported", question.unsupported[answer]
        return "ok", None


class CheckedFileField(forms.FileField):
    """A file field whose cleaned value is a CleanFile: checked by content, re-encoded, metadata removed."""

    def __init__(self, *args, rules=None, **kwargs):
        self.rules = rules
        kwargs.setdefault(
            "error_messages", {"required": "Ajoutez ce document.", "invalid": "Le fichier est invalide."}
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        uploaded = super().clean(data, initial)
        if not uploaded:
            return None
        try:
            return clean_upload(uploaded, self.rules) if self.rules else clean_upload(uploaded)
        except UploadRejected as error:
            raise ValidationError(error.messages, code=error.code) from error


class DocumentsForm(DsfrBaseForm):
    def __init__(self, *args, documents=(), already_given=frozenset(), **kwargs):
        super().__init__(*args, **kwargs)
        for document in documents:
            given = document.kind in already_given
            help_text = document.help_text + (" " if document.help_text else "") + f"({document.accepted_display})"
            if given:
                help_text += " — déjà fourni : ajoutez un fichier seulement pour le remplacer."
            self.fields[document.kind] = CheckedFileField(
                label=document.label,
                required=document.required and not given,
                help_text=help_text,
                rules=document.rules,
            )


class TimbreForm(DsfrBaseForm):
    timbre_number = forms.CharField(
        label="Numéro du timbre fiscal électronique",
        help_text="Les 16 chiffres inscrits sur votre timbre (acheté en ligne ou chez un buraliste).",
        max_length=30,
    )

    def clean_timbre_number(self):
        number = normalise_timbre_number(self.cleaned_data["timbre_number"])
        if len(number) != 16:
            raise ValidationError("Le numéro du timbre fiscal comporte 16 chiffres.")
        return number


class SecretInput(forms.TextInput):
    """A text input that never renders its value back: a card number or a CVC is not sent again in a page, even
    one showing the form's errors (the person types it again)."""

    def format_value(self, value):
        return None


def luhn_ok(digits):
    total = 0
    for index, char in enumerate(reversed(digits)):
        digit = int(char) * (2 if index % 2 else 1)
        total += digit - 9 if digit > 9 else digit
    return total % 10 == 0


class CardForm(DsfrBaseForm):
    """The bank card, for the payment provider only: the portal keeps its last four digits, never the rest."""

    number = forms.CharField(
        label="Numéro de la carte",
        help_text="Les 16 chiffres inscrits sur votre carte, avec ou sans espaces.",
        max_length=30,
        widget=SecretInput(attrs={"autocomplete": "cc-number", "inputmode": "numeric"}),
    )
    expiry = forms.CharField(
        label="Date d'expiration",
        help_text="Au format MM/AA, par exemple 04/29.",
        max_length=7,
        widget=forms.TextInput(attrs={"autocomplete": "cc-exp", "inputmode": "numeric"}),
    )
    cvc = forms.CharField(
        label="Cryptogramme visuel",
        help_text="Les 3 chiffres au dos de votre carte (4 sur le devant d'une carte American Express).",
        max_length=4,
        widget=SecretInput(attrs={"autocomplete": "cc-csc", "inputmode": "numeric"}),
    )
    holder = forms.CharField(
        label="Nom du titulaire de la carte",
        help_text="Tel qu'il est inscrit sur la carte.",
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "cc-name"}),
    )

    def clean_number(self):
        digits = "".join(ch for ch in self.cleaned_data["number"] if not ch.isspace() and ch != "-")
        if not digits.isdigit() or not 13 <= len(digits) <= 19:
            raise ValidationError("Le numéro de la carte comporte de 13 à 19 chiffres (16 le plus souvent).")
        if not luhn_ok(digits):
            raise ValidationError("Ce numéro de carte n'est pas valide : vérifiez chaque chiffre.")
        return digits

    def clean_expiry(self):
        raw = self.cleaned_data["expiry"].replace(" ", "")
        month, _, year = raw.partition("/")
        if not (month.isdigit() and year.isdigit() and len(year) in (2, 4) and 1 <= int(month) <= 12):
            raise ValidationError("Indiquez la date d'expiration au format MM/AA, par exemple 04/29.")
        year = int(year) + (2000 if len(year) == 2 else 0)
        today = timezone.localdate()
        if (year, int(month)) < (today.year, today.month):
            raise ValidationError("Cette carte est expirée : utilisez une carte valide.")
        return int(month), year

    def clean_cvc(self):
        cvc = self.cleaned_data["cvc"].strip()
        if not cvc.isdigit() or len(cvc) not in (3, 4):
            raise ValidationError("Le cryptogramme visuel comporte 3 chiffres (4 pour American Express).")
        return cvc

    def card(self):
        """Return the Card to charge (valid form only)."""
        month, year = self.cleaned_data["expiry"]
        return Card(self.cleaned_data["number"], month, year, self.cleaned_data["cvc"], self.cleaned_data["holder"])


class MessageForm(DsfrBaseForm):
    body = forms.CharField(label="Votre message", widget=forms.Textarea(attrs={"rows": 4}), max_length=5000)
    attachment = CheckedFileField(label="Pièce jointe", required=False)


class AnswerForm(MessageForm):
    body = forms.CharField(
        label="Votre réponse",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        help_text="Expliquez ce que vous envoyez ; joignez le document demandé.",
    )


class WithdrawForm(DsfrBaseForm):
    confirm = forms.BooleanField(
        label="Je confirme retirer ma demande",
        error_messages={"required": "Cochez la case pour confirmer le retrait."},
    )


class InfoRequestForm(DsfrBaseForm):
    reason = forms.ChoiceField(label="Motif", choices=InfoRequestReason.choices)
    message = forms.CharField(
        label="Ce qui est attendu du demandeur", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


class DecisionForm(DsfrBaseForm):
    reason = forms.CharField(
        label="Motif (communiqué au demandeur)",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
    )


class VerifyForm(DsfrBaseForm):
    code = forms.CharField(
        label="Code de vérification",
        max_length=20,
        help_text="Les 12 caractères imprimés sous le QR code du document.",
    )

    def clean_code(self):
        code = normalise_public_code(self.cleaned_data["code"])
        if len(code) != 12 or not is_valid_public_code(code):
            raise ValidationError("Ce code n'est pas valide : il compte 12 caractères, vérifiez chacun d'eux.")
        return code


class MandateForm(DsfrBaseForm):
    """An organisation asks a client for a mandate (electronic) or declares the paper one it holds."""

    email = EmailField(label="Adresse électronique de l'usager")
    given_names = forms.CharField(label="Prénoms de l'usager", max_length=150)
    family_name = forms.CharField(label="Nom de l'usager", max_length=150)
    procedures = forms.MultipleChoiceField(label="Démarches couvertes", widget=forms.CheckboxSelectMultiple)
    consent_method = forms.ChoiceField(label="Consentement", choices=ConsentMethod.choices, widget=forms.RadioSelect)
    months = forms.TypedChoiceField(
        label="Durée", coerce=int, choices=[(1, "1 mois"), (6, "6 mois"), (12, "1 an")], initial=6
    )

    def __init__(self, *args, procedure_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["procedures"].choices = procedure_choices
