"""The permis international, issued for a French licence."""

from django.utils import timezone

from core.dates import add_months, add_years
from core.formats import french_date
from licences.enums import INTERNATIONAL_PAPER_MONTHS, INTERNATIONAL_VALIDITY_YEARS, Code
from licences.forms import InternationalForm
from licences.models import InternationalPermit
from licences.procedures.base import CARD_SCAN, NOT_VALID_QUESTION, RECEPISSE, LicenceProcedure
from titles.procedures import EligibilityQuestion, Output, Step
from titles.registry import registry


@registry.register
class International(LicenceProcedure):
    code = Code.INTERNATIONAL
    label = "Permis international"
    description = ("Pour conduire dans certains pays hors de l'Union européenne. Gratuit. Après la demande en ligne, "
                   "envoyez sous 2 mois au CERT de Nantes l'attestation de dépôt, une photo d'identité et une "
                   "enveloppe affranchie, sans quoi la demande est close. Valable 3 ans, jamais au-delà de votre "
                   "permis.")
    order = 80
    with_photo = False
    motive_steps = (Step("voyage", "Votre demande", InternationalForm),)
    extra_documents = (CARD_SCAN,)
    eligibility = (
        EligibilityQuestion(
            "residence", "Résidez-vous en France ?",
            unsupported={"no": "Le permis international est délivré par le pays où vous résidez : adressez-vous à "
                               "ses autorités."}),
        EligibilityQuestion(
            "french_licence", "Votre permis a-t-il été délivré par la France ?",
            unsupported={"no": "Le permis international est délivré par le pays qui a délivré votre permis de "
                               "conduire : adressez-vous à ses autorités."}),
        NOT_VALID_QUESTION,
    )
    expected_days = 30
    outputs = {"submit": (RECEPISSE, Output("attestation-depot", "Attestation de dépôt (à envoyer au CERT de Nantes)",
                                            "licences/pdf/attestation_depot_international.html"))}

    def valid_until(self, application, output, issued_at):
        if output.kind == "attestation-depot":
            return add_months(timezone.localtime(issued_at), INTERNATIONAL_PAPER_MONTHS).date()
        return super().valid_until(application, output, issued_at)

    def extra_problems(self, application, licence):
        if licence is not None and licence.card_valid_until and licence.card_valid_until < timezone.localdate():
            return ["Votre permis n'est plus en cours de validité : renouvelez-le avant de demander un permis "
                    "international."]
        return []

    def permit_validity(self, licence, issued_on):
        """3 years, never beyond the French licence."""
        end = add_years(issued_on, INTERNATIONAL_VALIDITY_YEARS)
        if licence.card_valid_until:
            end = min(end, licence.card_valid_until)
        return end

    def extra_lines(self, application, licence):
        if licence is None:
            return []
        return [("Validité du permis international", f"jusqu'au "
                 f"{french_date(self.permit_validity(licence, timezone.localdate()))} au plus tard")]

    def record_delivery(self, application):
        licence = self.licence(application)
        today = timezone.localdate()
        InternationalPermit.objects.create(licence=licence, application=application, issued_on=today,
                                           valid_until=self.permit_validity(licence, today))

    def more_output_context(self, application, output, licence):
        return {"mail_before": french_date(add_months(timezone.localdate(), INTERNATIONAL_PAPER_MONTHS))}
