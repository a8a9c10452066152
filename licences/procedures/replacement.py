"""A new card to replace one lost, stolen or damaged."""

from django.utils import timezone

from core.dates import add_months
from core.formats import french_date
from licences.enums import AUTO_ECOLE, LOSS_ATTESTATION_MONTHS, NEW_CARD_FEE_CENTS, Code
from licences.forms import DamageForm, LossForm, TheftForm
from licences.procedures.base import NOT_VALID_QUESTION, RECEPISSE, SCAN
from licences.procedures.new_card import NewCardProcedure
from titles.enums import Filer
from titles.presentation import StatusSummary
from titles.procedures import EligibilityQuestion, Output, RequiredDocument, Step
from titles.registry import registry
from titles.workflow import Status


class ReplacementProcedure(NewCardProcedure):
    """Perte, vol, détérioration: the same licence on a new card, for a 25 € timbre."""

    fee_cents = NEW_CARD_FEE_CENTS
    filers = (Filer.CITIZEN, AUTO_ECOLE, Filer.MEDIATEUR)
    eligibility = (NOT_VALID_QUESTION,)


@registry.register
class Loss(ReplacementProcedure):
    code = Code.LOSS
    label = "Nouveau permis après une perte"
    description = ("Déclarez la perte de votre permis dans cette démarche et demandez-en un nouveau (timbre fiscal de "
                   "25 €). Au dépôt, vous recevez un récépissé : il prouve votre demande mais ne vous permet pas de "
                   "conduire. Quand le centre d'instruction a examiné la déclaration, un courriel vous prévient et "
                   "vous téléchargez l'attestation de perte : elle vous permet de conduire pendant 2 mois, en "
                   "attendant le nouveau permis. Jusque-là, vous ne pouvez pas conduire. La déclaration ne peut pas "
                   "être annulée si vous retrouvez votre permis.")
    order = 30
    motive_steps = (Step("declaration", "Déclaration de perte", LossForm),)
    eligibility = (
        EligibilityQuestion("what", "Que s'est-il passé ?", choices=(
            ("lost", "J'ai perdu mon permis"), ("stolen", "On me l'a volé"), ("damaged", "Il est abîmé")),
            redirect={"stolen": Code.THEFT, "damaged": Code.DAMAGE}),
        NOT_VALID_QUESTION,
    )
    outputs = {"submit": (RECEPISSE,), "accept": (Output(
        "attestation-perte", "Attestation de perte du permis de conduire", "licences/pdf/attestation_perte.html"),)}

    def status_summary(self, application):
        """Say at each step what the person holds and whether it lets them drive (no query: lists call this)."""
        cert = application.cert.name if application.cert_id else "le centre d'instruction"
        if application.status in (Status.SUBMITTED, Status.IN_REVIEW):
            expected = (f" (vers le {french_date(application.expected_decision_at)})"
                        if application.expected_decision_at else "")
            return StatusSummary(
                "Déclaration de perte déposée",
                "Vous avez le récépissé de dépôt : il prouve votre demande mais ne vous permet pas de conduire. "
                f"L'attestation de perte, qui vous permettra de conduire pendant 2 mois, sera délivrée quand {cert} "
                f"aura examiné votre déclaration{expected} : vous recevrez un courriel.",
                cert, "info")
        if application.status == Status.NEEDS_INFO:
            note = application.status_note or "compléter votre dossier"
            return StatusSummary(
                "En attente de votre part",
                f"En attente de votre part : {note}. Tant que l'attestation de perte n'est pas délivrée, vous ne "
                "pouvez pas conduire.", "vous", "warning")
        if application.status in (Status.ACCEPTED, Status.PRODUCED, Status.SENT) and application.decided_at:
            until = french_date(add_months(timezone.localtime(application.decided_at), LOSS_ATTESTATION_MONTHS))
            card = {Status.ACCEPTED: "Votre nouveau permis est en cours de fabrication.",
                    Status.PRODUCED: "Votre nouveau permis est fabriqué : il va vous être expédié.",
                    Status.SENT: "Votre nouveau permis vous est envoyé par courrier suivi."}[application.status]
            return StatusSummary(
                "Attestation de perte délivrée",
                "Téléchargez l'attestation de perte ci-dessous : avec une pièce d'identité, elle vous permet de "
                f"conduire en France jusqu'au {until}. {card}",
                "" if application.status == Status.ACCEPTED else "La Poste", "success")
        return None

    def valid_until(self, application, output, issued_at):
        if output.kind == "attestation-perte":
            return add_months(timezone.localtime(issued_at), LOSS_ATTESTATION_MONTHS).date()
        return super().valid_until(application, output, issued_at)

    def more_output_context(self, application, output, licence):
        data = self.step_data(application)
        return {"lost_on": french_date(data.get("lost_on")), "lost_place": data.get("lost_place", "")}


@registry.register
class Theft(ReplacementProcedure):
    code = Code.THEFT
    label = "Nouveau permis après un vol"
    description = ("Après avoir déclaré le vol à la police ou à la gendarmerie, demandez un nouveau permis (timbre "
                   "fiscal de 25 €). C'est le récépissé de déclaration de vol remis par la police ou la gendarmerie "
                   "qui vous permet de conduire, pendant 2 mois à partir de sa date ; le récépissé de dépôt de cette "
                   "demande, lui, prouve seulement votre demande.")
    order = 31
    motive_steps = (Step("vol", "Déclaration de vol", TheftForm),)
    extra_documents = (RequiredDocument("police_receipt", "Récépissé de déclaration de vol", rules=SCAN),)
    eligibility = (
        EligibilityQuestion(
            "declared", "Avez-vous déclaré le vol au commissariat ou à la gendarmerie ?",
            unsupported={"no": "Déclarez d'abord le vol au commissariat de police ou à la brigade de gendarmerie : "
                               "le récépissé remis (valable 2 mois comme droit de conduire) vous sera demandé."}),
        NOT_VALID_QUESTION,
    )


@registry.register
class Damage(ReplacementProcedure):
    code = Code.DAMAGE
    label = "Nouveau permis après une détérioration"
    description = ("Votre permis est abîmé ou illisible : demandez-en un nouveau, avec une photo du permis abîmé. "
                   "Gratuit : le timbre fiscal de 25 € n'est dû qu'en cas de perte ou de vol.")
    order = 32
    fee_cents = 0  # CGI art. 1628 ter: the 25 € is due for a loss or a theft only
    motive_steps = (Step("deterioration", "Détérioration", DamageForm),)
    extra_documents = (RequiredDocument("damaged_card", "Photo du permis abîmé (recto et verso)", rules=SCAN),)
