"""Échange du permis papier (« permis rose ») contre le format carte, before the 19 January 2033 deadline.

Free; the NEPH printed on the paper licence, the e-photo, a scan of the paper licence. The register does not change
on submission: the paper licence stays valid until the new card is handed over, and the delivery switches the
register to the card (`record_delivery`: a new card number, issued that day, valid 15 years). The writes are the
licence procedures' own (`LicenceProcedure.writes`): the NEPH kept for life (`keep`), the e-photo code spent
(`keep`), the card at delivery (no way out after it).
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.formats import french_date
from licences.enums import CARD_FORMAT_FROM, PAPER_LICENCES_VALID_UNTIL, Code
from licences.forms import date_field, not_in_future
from licences.models import neph_validator
from licences.procedures.base import CARD_SCAN, NOT_VALID_QUESTION
from licences.procedures.new_card import NewCardProcedure
from titles.dated import value_on
from titles.procedures import EligibilityQuestion, RequiredDocument, Step
from titles.registry import registry

PAPER_SCAN = RequiredDocument("paper_licence", "Votre permis papier (toutes ses faces)", rules=CARD_SCAN.rules,
                              help_text="Le permis rose déplié, recto et verso : le numéro de dossier (NEPH) et "
                                        "les catégories doivent être lisibles.")


def paper_deadline(on=None):
    """Return the last day a paper licence is valid (the deadline of the exchange) for the rule in force on `on`."""
    return value_on(PAPER_LICENCES_VALID_UNTIL, on or timezone.localdate())


def is_paper(licence):
    """Whether the register's licence is still the paper one: no card issued since the card format began."""
    return licence.card_issued_on is None or licence.card_issued_on < CARD_FORMAT_FROM


class PaperLicenceForm(forms.Form):
    neph = forms.CharField(
        label="Numéro de dossier du permis (NEPH)", max_length=20,
        help_text="Les 12 chiffres inscrits sur le permis rose, en face de « N° ».",
    )
    issued_on = date_field("Date de délivrance du permis papier", validators=[not_in_future])
    prefecture = forms.CharField(label="Préfecture qui l'a délivré", max_length=120,
                                 help_text="Par exemple « Préfecture du Var ».")

    def __init__(self, *args, licence=None, **kwargs):
        self.licence = licence
        super().__init__(*args, **kwargs)

    def clean_neph(self):
        # Typed as printed, in groups: the spaces go before the 12 digits are checked.
        neph = "".join(ch for ch in self.cleaned_data["neph"] if not ch.isspace())
        neph_validator(neph)
        return neph

    def clean_issued_on(self):
        issued_on = self.cleaned_data["issued_on"]
        if issued_on >= CARD_FORMAT_FROM:
            raise ValidationError(f"Les permis délivrés depuis le {french_date(CARD_FORMAT_FROM)} sont au format "
                                  "carte : il n'y a rien à échanger.")
        return issued_on

    def clean(self):
        cleaned = super().clean()
        if self.licence is not None and cleaned.get("neph") and cleaned["neph"] != self.licence.neph:
            self.add_error("neph", "Ce NEPH n'est pas celui de votre permis au fichier national : recopiez les 12 "
                                   "chiffres inscrits sur votre permis papier.")
        return cleaned


@registry.register
class PaperExchange(NewCardProcedure):
    code = Code.PAPER_EXCHANGE
    label = "Échange du permis papier (rose) contre le format carte"
    description = (
        "Votre permis est en papier rose : échangez-le gratuitement contre un permis au format carte de crédit, "
        "sécurisé, valable 15 ans. Les permis papier doivent être échangés au plus tard le 19 janvier 2033. "
        "Munissez-vous de votre permis papier et d'un code photo-signature numérique. Vous gardez votre permis "
        "papier, qui reste valable, jusqu'à la remise du nouveau."
    )
    order = 42
    motive_steps = (Step("permis-papier", "Votre permis papier", PaperLicenceForm),)
    extra_documents = (PAPER_SCAN,)
    eligibility = (
        EligibilityQuestion(
            "format", "Votre permis est-il le permis papier rose (trois volets) ?",
            unsupported={"no": "Votre permis est déjà au format carte de crédit : il n'y a rien à échanger. S'il "
                               "arrive au terme de ses 15 ans, faites la démarche « Renouvellement d'un permis en "
                               "fin de validité »."}),
        NOT_VALID_QUESTION,
    )

    def get_step_form(self, step, application, data=None):
        if step.form_class is PaperLicenceForm:
            return PaperLicenceForm(data=data, initial=application.data.get(step.slug, {}),
                                    licence=self.licence(application))
        return super().get_step_form(step, application, data=data)

    def extra_problems(self, application, licence):
        if licence is not None and licence.category_codes and not is_paper(licence):
            return [f"Votre permis au fichier national est déjà au format carte (délivré le "
                    f"{french_date(licence.card_issued_on)}) : il n'y a rien à échanger."]
        return []

    def extra_lines(self, application, licence):
        deadline = paper_deadline()
        if timezone.localdate() > deadline:
            return [("Permis papier", f"n'est plus valable pour conduire depuis le {french_date(deadline)}")]
        return [("Permis papier valable jusqu'à", f"la remise du nouveau permis, au plus tard le "
                                                  f"{french_date(deadline)}")]
