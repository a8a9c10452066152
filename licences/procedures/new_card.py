"""A new card for a licence the person holds or gets back: after passing the test, renewal, change of civil status,
professional diploma, military licence, and after an annulment or a suspension."""

from django.utils import timezone

from core.dates import add_months
from core.formats import french_date
from licences import services
from licences.dates import as_date
from licences.enums import (
    AUTO_ECOLE,
    CEPC_MONTHS,
    HEAVY_CATEGORIES,
    LOST_STATUSES,
    PSYCHOTECHNICAL_SUSPENSION_MONTHS,
    Code,
    Exams,
    LicenceStatus,
)
from licences.forms import (
    AfterAnnulmentForm,
    AfterSuspensionForm,
    CivilStatusForm,
    FabricationForm,
    MilitaryLicenceForm,
    ProfessionalDiplomaForm,
    RenewalForm,
    required_exams,
)
from licences.procedures.base import (
    CARD_SCAN,
    MEDICAL_OPTIONAL,
    NOT_VALID_QUESTION,
    SCAN,
    LicenceProcedure,
    category_labels,
    display_iso,
)
from titles.enums import Filer
from titles.procedures import EligibilityQuestion, RequiredDocument, Step
from titles.registry import registry


class NewCardProcedure(LicenceProcedure):
    """A new card for a licence holder, whatever the motive (the 2017 press kit's "demande de fabrication")."""

    filers = (Filer.CITIZEN, Filer.MEDIATEUR)
    expected_days = 15


@registry.register
class Fabrication(NewCardProcedure):
    code = Code.FABRICATION
    label = "Premier permis ou nouvelle catégorie après réussite à l'examen"
    description = ("Demandez la fabrication de votre permis après votre réussite à l'examen de conduite. Gratuit. En "
                   "attendant, votre certificat d'examen (CEPC) vous permet de conduire pendant 4 mois en France.")
    order = 20
    filers = (Filer.CITIZEN, AUTO_ECOLE, Filer.MEDIATEUR)
    motive_steps = (Step("examen", "Examen réussi", FabricationForm),)
    extra_documents = (
        RequiredDocument("cepc", "Certificat d'examen du permis de conduire (CEPC)", rules=SCAN),
        MEDICAL_OPTIONAL,
    )
    eligibility = (
        EligibilityQuestion("passed", "Avez-vous réussi l'examen de conduite (vous avez un CEPC) ?",
                            redirect={"no": Code.INSCRIPTION}),
        EligibilityQuestion("after_annulment", "Cette réussite fait-elle suite à l'annulation ou à l'invalidation "
                            "de votre permis ?", redirect={"yes": Code.AFTER_ANNULMENT}),
        EligibilityQuestion(
            "training_only", "S'agit-il d'une catégorie obtenue par une formation, sans examen (AM, passage de A2 à "
            "A, B96, levée de la mention 78) ?",
            unsupported={"yes": "Le permis obtenu à l'issue d'une formation est demandé par l'école de conduite qui "
                                "vous a formé, depuis son espace professionnel : adressez-vous à elle."}),
    )
    requires = "neph"
    allowed_statuses = frozenset({LicenceStatus.VALID})

    def needs_medical_opinion(self, application, licence):
        return self.step_data(application).get("category") in HEAVY_CATEGORIES

    def extra_problems(self, application, licence):
        return self.medical_problem(application, licence)

    def extra_lines(self, application, licence):
        exam = as_date(self.step_data(application).get("exam_date"))
        if exam is None:
            return []
        return [("Droit de conduire avec le CEPC jusqu'au", french_date(add_months(exam, CEPC_MONTHS)))]

    def update_register(self, application, licence, today):
        data = self.step_data(application)
        services.set_category(licence, data["category"], obtained_on=as_date(data["exam_date"]))


@registry.register
class Renewal(NewCardProcedure):
    code = Code.RENEWAL
    label = "Renouvellement d'un permis en fin de validité"
    description = ("Pour une catégorie du groupe lourd (C1 à DE), un permis sous restriction médicale ou un titre "
                   "arrivé au terme de ses 15 ans. Un avis médical (cerfa 14880) d'un médecin agréé est demandé pour "
                   "le groupe lourd et les restrictions médicales. Gratuit.")
    order = 40
    motive_steps = (Step("renouvellement", "Motif du renouvellement", RenewalForm),)
    extra_documents = (MEDICAL_OPTIONAL, CARD_SCAN)
    eligibility = (NOT_VALID_QUESTION,)

    def initial_data(self, application):
        licence = services.licence_of(application.applicant)
        if licence is None:
            return {}
        heavy = [c for c in licence.category_codes if c in HEAVY_CATEGORIES]
        return {"renouvellement": {"categories": heavy or licence.category_codes,
                                   "medical_restriction": licence.medical_restriction,
                                   "reason": "heavy" if heavy else ("medical" if licence.medical_restriction
                                                                    else "card")}}

    def needs_medical_opinion(self, application, licence):
        data = self.step_data(application)
        return (data.get("reason") in ("heavy", "medical") or bool(data.get("medical_restriction"))
                or bool(set(data.get("categories", [])) & HEAVY_CATEGORIES)
                or bool(licence and licence.medical_restriction))

    def extra_problems(self, application, licence):
        problems = self.medical_problem(application, licence)
        asked = set(self.step_data(application).get("categories", []))
        if licence is not None and asked - set(licence.category_codes):
            problems.append("Vous ne pouvez renouveler que des catégories que vous détenez : "
                            f"{category_labels(sorted(asked - set(licence.category_codes)))}.")
        return problems

    def update_register(self, application, licence, today):
        for category in self.step_data(application).get("categories", []):
            if category in HEAVY_CATEGORIES:
                services.renew_category(licence, category, renewed_on=today)


@registry.register
class CivilStatus(NewCardProcedure):
    code = Code.CIVIL_STATUS
    label = "Nouveau permis après un changement d'état civil"
    description = "Après un mariage, un divorce ou un changement de nom, de prénom ou de sexe. Gratuit."
    order = 41
    motive_steps = (Step("etat-civil", "Nouvel état civil", CivilStatusForm),)
    extra_documents = (
        RequiredDocument("civil_status", "Justificatif du changement (acte de mariage, jugement, acte de naissance "
                         "mis à jour…)", rules=SCAN),
        CARD_SCAN,
    )
    eligibility = (
        EligibilityQuestion(
            "address_only", "Votre changement concerne-t-il seulement votre adresse ?",
            unsupported={"yes": "Votre adresse ne figure pas sur le permis de conduire : vous n'avez pas à le "
                                "refaire. Pensez en revanche à mettre à jour votre carte grise."}),
        NOT_VALID_QUESTION,
    )


@registry.register
class ProfessionalDiploma(NewCardProcedure):
    code = Code.PROFESSIONAL_DIPLOMA
    label = "Permis après un diplôme professionnel de conducteur"
    description = ("Titre professionnel ou diplôme de conducteur routier : demandez les catégories qu'il valide. "
                   "Tout se fait en ligne. Gratuit.")
    order = 50
    motive_steps = (Step("diplome", "Diplôme", ProfessionalDiplomaForm),)
    extra_documents = (RequiredDocument("diploma", "Diplôme ou titre professionnel", rules=SCAN), MEDICAL_OPTIONAL)
    eligibility = (
        EligibilityQuestion(
            "french", "Votre diplôme a-t-il été délivré en France par le ministère chargé du travail ou de "
            "l'éducation nationale ?",
            unsupported={"no": "Seuls les diplômes professionnels français de conducteur valident des catégories du "
                               "permis. Pour un permis étranger, faites la démarche d'échange."}),
    )
    requires = None

    def needs_medical_opinion(self, application, licence):
        return bool(set(self.step_data(application).get("categories", [])) & HEAVY_CATEGORIES)

    def extra_problems(self, application, licence):
        problems = self.medical_problem(application, licence)
        if licence is not None and licence.status != LicenceStatus.VALID:
            problems.append(f"Votre permis est {licence.get_status_display().lower()} : cette démarche n'est pas "
                            "possible.")
        return problems

    def update_register(self, application, licence, today):
        data = self.step_data(application)
        for category in data.get("categories", []):
            services.set_category(licence, category, obtained_on=as_date(data["obtained_on"]))


@registry.register
class MilitaryLicence(ProfessionalDiploma):
    code = Code.MILITARY
    label = "Conversion d'un brevet militaire de conduite"
    description = ("Convertissez votre brevet militaire en permis civil, une fois validé par l'autorité militaire "
                   "pendant vos 3 derniers mois de service. Gratuit.")
    order = 51
    motive_steps = (Step("brevet", "Brevet militaire", MilitaryLicenceForm),)
    extra_documents = (
        RequiredDocument("brevet", "Brevet militaire de conduite", rules=SCAN),
        RequiredDocument("military_validation", "Attestation de validation par l'autorité militaire (cerfa 11247)",
                         rules=SCAN),
        MEDICAL_OPTIONAL,
    )
    eligibility = (
        EligibilityQuestion(
            "validated", "Votre brevet a-t-il été validé par l'autorité militaire pendant vos 3 derniers mois de "
            "service ?",
            unsupported={"no": "Demandez d'abord la validation de votre brevet à votre formation administrative "
                               "(formulaire cerfa 11247), pendant vos 3 derniers mois de service."}),
    )


@registry.register
class AfterAnnulment(NewCardProcedure):
    code = Code.AFTER_ANNULMENT
    label = "Nouveau permis après annulation ou invalidation"
    description = ("Après une annulation ou une invalidation (solde de points nul), et une fois réussis les examens "
                   "exigés : le code seulement si votre permis avait au moins 3 ans et l'interdiction moins d'un "
                   "an, sinon le code et la conduite. Un examen psychotechnique et un avis médical sont demandés.")
    order = 60
    motive_steps = (Step("mesure", "Annulation ou invalidation", AfterAnnulmentForm),)
    extra_documents = (
        RequiredDocument("medical", "Avis médical de la commission médicale ou du médecin agréé", rules=SCAN),
        RequiredDocument("psychotechnical", "Attestation de l'examen psychotechnique", rules=SCAN),
        RequiredDocument("restitution", "Récépissé de restitution du permis (réf. 44, 47 ou 7) ou lettre 48SI / 48N",
                         rules=SCAN),
        RequiredDocument("code_result", "Attestation de réussite à l'examen du code", rules=SCAN),
        RequiredDocument("cepc", "Certificat d'examen du permis de conduire (CEPC)", required=False, rules=SCAN,
                         help_text="Obligatoire si vous deviez repasser l'examen de conduite."),
    )
    eligibility = (
        EligibilityQuestion("suspended_only", "S'agit-il d'une simple suspension de votre permis ?",
                            redirect={"yes": Code.AFTER_SUSPENSION}),
        EligibilityQuestion("passed", "Avez-vous réussi les examens exigés ?", redirect={"no": Code.INSCRIPTION},
                            help_text="Sinon, inscrivez-vous d'abord : votre NEPH est réactivé."),
    )
    requires = "neph"
    allowed_statuses = LOST_STATUSES

    def initial_data(self, application):
        licence = services.licence_of(application.applicant)
        if licence is None or licence.status not in LOST_STATUSES:
            return {}
        return {"mesure": {"measure": licence.status, "decided_on": display_iso(licence.measure_decided_on),
                           "ban_months": licence.measure_months, "held_since": display_iso(licence.held_since)}}

    def exams(self, application):
        data = self.step_data(application)
        return required_exams(held_since=as_date(data.get("held_since")), ban_months=data.get("ban_months"))

    def extra_problems(self, application, licence):
        given = set(application.documents.filter(message__isnull=True).values_list("kind", flat=True))
        if self.exams(application) == Exams.CODE_AND_DRIVING and "cepc" not in given:
            return ["Vous deviez repasser l'examen de conduite : ajoutez votre certificat d'examen (CEPC)."]
        return []

    def extra_lines(self, application, licence):
        if not self.step_data(application):
            return []
        return [("Examens exigés", Exams(self.exams(application)).label)]

    def update_register(self, application, licence, today):
        data = self.step_data(application)
        obtained = as_date(data.get("driving_passed_on") or data["code_passed_on"])
        # The categories lost with the annulment are gone; those passed again start afresh.
        licence.categories.all().delete()
        for category in data.get("categories", []):
            services.set_category(licence, category, obtained_on=obtained)
        services.restore(licence)


@registry.register
class AfterSuspension(NewCardProcedure):
    code = Code.AFTER_SUSPENSION
    label = "Permis après une suspension"
    description = ("À la fin d'une suspension : avis médical obligatoire, et examen psychotechnique si la suspension "
                   "a duré 6 mois ou plus. Aucun examen de conduite à repasser. Gratuit.")
    order = 61
    motive_steps = (Step("suspension", "Suspension", AfterSuspensionForm),)
    extra_documents = (
        RequiredDocument("medical", "Avis médical de la commission médicale ou du médecin agréé", rules=SCAN),
        RequiredDocument("psychotechnical", "Attestation de l'examen psychotechnique", required=False, rules=SCAN,
                         help_text="Obligatoire si la suspension a duré 6 mois ou plus."),
    )
    eligibility = (
        EligibilityQuestion("annulled", "Votre permis a-t-il été annulé ou invalidé (et non suspendu) ?",
                            redirect={"yes": Code.AFTER_ANNULMENT}),
    )
    allowed_statuses = frozenset({LicenceStatus.SUSPENDED})

    def initial_data(self, application):
        licence = services.licence_of(application.applicant)
        if licence is None or licence.status != LicenceStatus.SUSPENDED:
            return {}
        return {"suspension": {"decided_on": display_iso(licence.measure_decided_on),
                               "suspension_months": licence.measure_months}}

    def extra_problems(self, application, licence):
        months = self.step_data(application).get("suspension_months") or 0
        given = set(application.documents.filter(message__isnull=True).values_list("kind", flat=True))
        problems = []
        if months >= PSYCHOTECHNICAL_SUSPENSION_MONTHS and "psychotechnical" not in given:
            problems.append("La suspension a duré 6 mois ou plus : ajoutez l'attestation de l'examen "
                            "psychotechnique.")
        decided = as_date(self.step_data(application).get("decided_on"))
        if decided and add_months(decided, months) > timezone.localdate():
            problems.append(f"La suspension court jusqu'au {french_date(add_months(decided, months))} : déposez "
                            "votre demande à sa fin.")
        return problems

    def update_register(self, application, licence, today):
        services.restore(licence)


# Instructed by the CERT de Nantes ------------------------------------------------------------------------------
