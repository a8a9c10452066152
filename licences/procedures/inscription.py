"""The inscription to the driving test (NEPH), filed by the candidate or their école de conduite."""

from django.utils import timezone

from licences.dates import years_between
from licences.enums import (
    ASSR_BORN_FROM_YEAR,
    AUTO_ECOLE,
    HEAVY_CATEGORIES,
    JDC_MAX_AGE,
    JDC_MIN_AGE,
    LOST_STATUSES,
    RECENSEMENT_ENOUGH_BEFORE_AGE,
    Code,
    Exams,
)
from licences.forms import InscriptionForm, required_exams
from licences.models import Licence
from licences.procedures.base import MEDICAL_OPTIONAL, RECEPISSE, LicenceProcedure
from titles.enums import Filer
from titles.procedures import EligibilityQuestion, Output, RequiredDocument, Step
from titles.registry import registry


@registry.register
class Inscription(LicenceProcedure):
    code = Code.INSCRIPTION
    label = "Inscription au permis de conduire"
    description = ("Pour passer l'examen d'une première catégorie ou d'une nouvelle catégorie. La demande crée votre "
                   "numéro de dossier (NEPH), conservé à vie, ou réactive celui que vous avez déjà ; une fois la "
                   "demande validée, téléchargez l'attestation d'inscription pour réserver votre place à l'examen.")
    order = 10
    filers = (Filer.CITIZEN, AUTO_ECOLE, Filer.MEDIATEUR)
    motive_steps = (Step("inscription", "Catégories et formation", InscriptionForm),)
    extra_documents = (
        RequiredDocument("assr", "Attestation de sécurité routière (ASSR 2 ou ASR)", required=False,
                         help_text="Obligatoire si vous êtes né(e) à partir du 1er janvier 1988."),
        RequiredDocument("jdc", "Certificat de participation à la journée défense et citoyenneté (JDC)",
                         required=False, help_text="Obligatoire de 18 à 25 ans ; à 17 ans, l'attestation de "
                         "recensement suffit."),
        RequiredDocument("recensement", "Attestation de recensement", required=False,
                         help_text="À 17 ans, si vous n'avez pas encore fait la JDC."),
        MEDICAL_OPTIONAL,
    )
    eligibility = (
        EligibilityQuestion("foreign", "Avez-vous un permis délivré par un autre pays que vous voulez échanger ?",
                            redirect={"yes": Code.EXCHANGE}),
        EligibilityQuestion("passed", "Avez-vous déjà réussi l'examen de conduite pour cette catégorie ?",
                            redirect={"yes": Code.FABRICATION},
                            help_text="Si oui, demandez directement la fabrication de votre permis."),
    )
    requires = None
    produces_card = False
    outputs = {"submit": (RECEPISSE,), "accept": (Output(
        "attestation-inscription", "Attestation d'inscription au permis de conduire",
        "licences/pdf/attestation_inscription.html"),)}
    expected_days = 12

    def declared_neph(self, application):
        return self.step_data(application).get("neph", "")

    def needs_medical_opinion(self, application, licence):
        return bool(set(self.step_data(application).get("categories", [])) & HEAVY_CATEGORIES)

    def extra_problems(self, application, licence):
        problems = []
        declared = self.declared_neph(application)
        if declared:
            if licence is not None and licence.neph != declared:
                problems.append(f"Le NEPH indiqué ne correspond pas à celui de votre dossier ({licence.neph}) : "
                                "corrigez-le ou laissez le champ vide.")
            elif licence is None and Licence.objects.filter(neph=declared).exists():
                problems.append("Ce NEPH ne correspond pas à votre identité : vérifiez-le, ou laissez le champ vide.")
        birth = application.applicant.birth_date
        given = set(application.documents.filter(message__isnull=True).values_list("kind", flat=True))
        if birth and birth.year >= ASSR_BORN_FROM_YEAR and "assr" not in given:
            problems.append("Vous êtes né(e) à partir de 1988 : ajoutez votre attestation de sécurité routière "
                            "(ASSR 2 ou ASR).")
        if birth:
            age = years_between(birth, timezone.localdate())
            if JDC_MIN_AGE <= age < RECENSEMENT_ENOUGH_BEFORE_AGE and not given & {"jdc", "recensement"}:
                problems.append("Vous avez 17 ans : ajoutez votre attestation de recensement (ou votre certificat "
                                "de participation à la JDC).")
            elif RECENSEMENT_ENOUGH_BEFORE_AGE <= age <= JDC_MAX_AGE and "jdc" not in given:
                problems.append("Vous avez entre 18 et 25 ans : ajoutez votre certificat de participation à la JDC.")
        return problems + self.medical_problem(application, licence)

    def extra_lines(self, application, licence):
        if licence is not None and licence.status in LOST_STATUSES:
            exams = required_exams(held_since=licence.held_since, ban_months=licence.measure_months)
            return [("Examens à repasser", Exams(exams).label)]
        return []

    def more_output_context(self, application, output, licence):
        return {"requested": self.step_data(application).get("categories", []),
                "training": dict(InscriptionForm().fields["training"].choices).get(
                    self.step_data(application).get("training"), "")}


# A new card ---------------------------------------------------------------------------------------------------
