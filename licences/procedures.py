"""The permis de conduire procedures: one base class holds what they share (the register, the photo and signature,
the NEPH on every document, the new card at delivery); each motive is a small subclass.

Registered at start-up by `licences.apps.LicencesConfig.ready()`.
"""

from django import forms
from django.utils import timezone

from core.dates import add_months, add_years
from core.formats import french_date
from licences import services
from licences.dates import as_date, years_between
from licences.enums import (
    ASSR_BORN_FROM_YEAR,
    AUTO_ECOLE,
    CEPC_MONTHS,
    HEAVY_CATEGORIES,
    INTERNATIONAL_PAPER_MONTHS,
    INTERNATIONAL_VALIDITY_YEARS,
    JDC_MAX_AGE,
    JDC_MIN_AGE,
    LICENCE,
    LOSS_ATTESTATION_MONTHS,
    LOST_STATUSES,
    NEW_CARD_FEE_CENTS,
    NEW_CARD_FEE_GUYANE_CENTS,
    NO_PAPER_MANDATE,
    NO_PAPER_MANDATE_DEPARTEMENTS,
    PSYCHOTECHNICAL_SUSPENSION_MONTHS,
    RECENSEMENT_ENOUGH_BEFORE_AGE,
    Code,
    Exams,
    IssuingZone,
    LicenceStatus,
    PhotoMode,
)
from licences.ephoto import EphotoError, get_provider
from licences.forms import (
    AfterAnnulmentForm,
    AfterSuspensionForm,
    CivilStatusForm,
    DamageForm,
    ExchangeForm,
    FabricationForm,
    InscriptionForm,
    InternationalForm,
    LossForm,
    MilitaryLicenceForm,
    PhotoSignatureForm,
    ProfessionalDiplomaForm,
    RenewalForm,
    TheftForm,
    required_exams,
)
from licences.models import InternationalPermit, Licence, LicenceFile
from titles.enums import ConsentMethod, Filer
from titles.procedures import (
    EligibilityQuestion,
    FeeLine,
    Output,
    Procedure,
    RegisterWrite,
    RequiredDocument,
    Step,
    keep,
)
from titles.registry import registry
from titles.services import queue_document
from titles.uploads import UploadRules
from titles.workflow import InvalidTransition

IDENTITY = RequiredDocument(
    "identity", "Justificatif d'identité",
    help_text="Carte d'identité, passeport ou titre de séjour en cours de validité (recto et verso).",
)
DOMICILE = RequiredDocument(
    "domicile", "Justificatif de domicile de moins de 6 mois",
    help_text="Facture, avis d'imposition, quittance de loyer, ou attestation d'hébergement avec la pièce "
    "d'identité de l'hébergeant.",
)
MEDICAL_OPTIONAL = RequiredDocument(
    "medical", "Avis médical (cerfa 14880)", required=False,
    help_text="Obligatoire pour les catégories du groupe lourd (C1 à DE) et pour un permis sous restriction "
    "médicale : délivré par un médecin agréé par la préfecture.",
)
SCAN = UploadRules(kinds=("image", "pdf"))
CARD_SCAN = RequiredDocument("current_card", "Votre permis actuel (recto et verso)", rules=SCAN)

PHOTO_STEP = Step("photo", "Photo et signature", PhotoSignatureForm)
RECEPISSE = Output("recepisse", "Récépissé de dépôt", "pdf/recepisse.html")
PHOTO_FORM = Output("formulaire-photo", "Formulaire de dépôt photo-signature", "licences/pdf/formulaire_photo.html")

HIDDEN_FIELDS = {"ephoto_code", "photo_mode", "sworn", "commitment"}
STATUS_PROCEDURES = {
    LicenceStatus.SUSPENDED: "la démarche « Permis après une suspension »",
    LicenceStatus.ANNULLED: "la démarche « Nouveau permis après annulation ou invalidation »",
    LicenceStatus.INVALIDATED: "la démarche « Nouveau permis après annulation ou invalidation »",
}
NOT_VALID_QUESTION = EligibilityQuestion(
    "licence_state", "Votre permis est-il actuellement suspendu, annulé ou invalidé ?",
    choices=(("no", "Non, il est valide"), ("suspended", "Il est suspendu"),
             ("annulled", "Il est annulé ou invalidé (solde de points nul)")),
    redirect={"suspended": Code.AFTER_SUSPENSION, "annulled": Code.AFTER_ANNULMENT},
)


# The register writes of every licence procedure (each `(application, ctx)`, run by the engine). --------------------


def ensure_neph(application, ctx):
    """Every file carries the NEPH: created (or reactivated) at submission if the applicant has none."""
    licence = services.ensure_licence(application.applicant, neph=ctx.procedure.declared_neph(application))
    LicenceFile.objects.update_or_create(application=application, defaults={"licence": licence})


def use_ephoto(application, ctx):
    """Use the e-photo code (single use at its issuer) and bring its photo and signature into the file."""
    photo = ctx.procedure.photo_data(application)
    if ctx.procedure.with_photo and photo.get("photo_mode") == PhotoMode.EPHOTO:
        services.attach_ephoto(application, photo["ephoto_code"], actor=ctx.actor)


def record_delivery(application, ctx):
    """The title is handed over: the register changes for the procedure's motive (a new card, a permit…)."""
    ctx.procedure.record_delivery(application)


NEPH_STAYS = keep(
    "A NEPH is the person's number in the fichier national des permis for life: a file withdrawn, refused or "
    "closed leaves it in the register, and the next file finds and reuses it (ensure_licence)."
)
EPHOTO_STAYS = keep(
    "The e-photo issuer records the code as used for this file and its interface has no way to give a code back; "
    "the photo and signature stay in the file as it was filed."
)


def display_iso(value):
    return value.isoformat() if value else None


def category_labels(codes):
    return ", ".join(codes)


class LicenceProcedure(Procedure):
    """What every licence procedure shares. A subclass declares its motive step(s), its own documents, and what
    delivery changes in the register (`update_register`)."""

    title = LICENCE
    motive_steps: tuple[Step, ...] = ()
    extra_documents: tuple[RequiredDocument, ...] = ()
    with_photo = True
    # Whether a card (or a booklet) is made, sent and delivered after acceptance.
    produces_card = True
    # What the register must hold for the applicant: None, "neph" (an entry) or "licence" (categories held),
    # and in which statuses.
    requires = "licence"
    allowed_statuses = frozenset({LicenceStatus.VALID})
    outputs = {"submit": (RECEPISSE,)}
    writes = (
        RegisterWrite(at="submit", do=ensure_neph, undo=NEPH_STAYS),
        RegisterWrite(at="submit", do=use_ephoto, undo=EPHOTO_STAYS),
        RegisterWrite(at="deliver", do=record_delivery),
    )

    @property
    def steps(self):
        return (*self.motive_steps, PHOTO_STEP) if self.with_photo else tuple(self.motive_steps)

    @property
    def documents(self):
        return (IDENTITY, DOMICILE, *self.extra_documents)

    # Reading the file ----------------------------------------------------------------------------------------

    def licence(self, application):
        """Return the entry of the register the file is about: once filed, the one recorded at submission."""
        if not application.is_draft:
            filed = Licence.objects.filter(files__application=application).prefetch_related("categories").first()
            if filed is not None:
                return filed
        return services.licence_of(application.applicant)

    def step_data(self, application, slug=None):
        return application.data.get(slug or self.motive_steps[0].slug) or {}

    def photo_data(self, application):
        return application.data.get(PHOTO_STEP.slug) or {}

    def summary_lines(self, application):
        licence = self.licence(application)
        lines = [("Numéro de dossier permis (NEPH)", licence.neph)] if licence else []
        for step in self.steps:
            fields = step.form_class().fields
            values = application.data.get(step.slug) or {}
            for name, field in fields.items():
                value = values.get(name)
                if name in HIDDEN_FIELDS or value in (None, "", [], False):
                    continue
                choices = dict(getattr(field, "choices", None) or [])
                if isinstance(value, list):
                    shown = ", ".join(str(v) for v in value)
                elif value is True:
                    shown = "Oui"
                elif choices:
                    shown = choices.get(value, value)
                elif isinstance(field, forms.DateField):
                    shown = french_date(value)
                else:
                    shown = value
                lines.append((str(field.label), shown))
        photo = self.photo_data(application)
        if self.with_photo and photo.get("photo_mode") == PhotoMode.EPHOTO and photo.get("ephoto_code"):
            # The code gives access to the photo and signature: never printed whole.
            lines.append(("Photo et signature", "Code photo-signature numérique se terminant par "
                                                f"{photo['ephoto_code'][-4:]}"))
        elif self.with_photo and photo.get("photo_mode") == PhotoMode.PAPER:
            lines.append(("Photo et signature", "Photo papier : formulaire de dépôt à envoyer par courrier"))
        return lines + self.extra_lines(application, licence)

    def extra_lines(self, application, licence):
        return []

    # Fee, mandate, checks ------------------------------------------------------------------------------------

    def fee_lines(self, application):
        if not self.fee_cents:
            return []
        # The timbre is halved in Guyane (SP F1727).
        cents = NEW_CARD_FEE_GUYANE_CENTS if application.applicant.departement == "973" else self.fee_cents
        return [FeeLine(f"Timbre fiscal — {self.label}", cents)]

    def refuse_mandate_method(self, consent_method):
        if consent_method == ConsentMethod.PAPER and self.code in NO_PAPER_MANDATE:
            return (f"Un mandat papier ne permet pas la démarche « {self.label} » : l'élève la fait lui-même, ou "
                    "donne à l'école un mandat électronique.")
        return None

    def refuse_mandate(self, mandate):
        refusal = self.refuse_mandate_method(mandate.consent_method)
        if refusal is None and mandate.consent_method == ConsentMethod.PAPER and (
                mandate.citizen.departement in NO_PAPER_MANDATE_DEPARTEMENTS):
            refusal = ("Le mandat papier ne peut pas être utilisé pour un élève qui réside en Corse ou dans un "
                       "département d'outre-mer où s'applique une taxe régionale.")
        return refusal

    def guard(self, application, transition, actors):
        if transition.name in ("produce", "send", "deliver") and not self.produces_card:
            raise InvalidTransition("no_card", "Cette démarche ne donne pas lieu à la fabrication d'un titre.")
        if transition.name == "submit" and application.mandate_id:
            refusal = self.refuse_mandate(application.mandate)
            if refusal:
                raise InvalidTransition("mandate", refusal)

    def validate_submission(self, application):
        licence = self.licence(application)
        problems = []
        if self.requires == "neph" and licence is None:
            problems.append("Aucune inscription au permis de conduire (NEPH) n'est enregistrée à votre nom : faites "
                            "d'abord la démarche d'inscription.")
        elif self.requires == "licence" and (licence is None or not licence.category_codes):
            problems.append("Aucun permis de conduire à votre nom ne figure au fichier national des permis. Si vous "
                            "êtes titulaire d'un permis, écrivez au CERT depuis la page d'aide.")
        elif self.requires and licence.status not in self.allowed_statuses:
            hint = STATUS_PROCEDURES.get(licence.status, "")
            problems.append(f"Votre permis est {licence.get_status_display().lower()} : cette démarche n'est pas "
                            f"possible." + (f" Faites {hint}." if hint else ""))
        photo = self.photo_data(application)
        if self.with_photo and photo.get("photo_mode") == PhotoMode.EPHOTO and photo.get("ephoto_code"):
            try:
                get_provider().fetch(photo["ephoto_code"])
            except EphotoError as error:
                problems.append(error.reason)
        return problems + self.extra_problems(application, licence)

    def extra_problems(self, application, licence):
        return []

    def needs_medical_opinion(self, application, licence):
        return False

    def medical_problem(self, application, licence):
        given = set(application.documents.filter(message__isnull=True).values_list("kind", flat=True))
        if self.needs_medical_opinion(application, licence) and "medical" not in given:
            return ["Un avis médical (cerfa 14880) est obligatoire pour les catégories du groupe lourd (C1 à DE) et "
                    "pour un permis sous restriction médicale : ajoutez-le aux pièces justificatives."]
        return []

    # Consequences --------------------------------------------------------------------------------------------

    def declared_neph(self, application):
        return ""

    def on_submit(self, application, ctx):
        if self.with_photo and self.photo_data(application).get("photo_mode") != PhotoMode.EPHOTO:
            ctx.outcome.documents.append(queue_document(application, PHOTO_FORM, procedure=self))

    def record_delivery(self, application):
        """Change the register for this motive and issue the new card (International: the permit)."""
        licence = self.licence(application)
        today = timezone.localdate()
        self.update_register(application, licence, today)
        services.issue_card(licence, issued_on=today)

    def update_register(self, application, licence, today):
        """Change the register for this motive, before the new card is issued (default: a new card only)."""

    def output_context(self, application, output):
        licence = self.licence(application)
        applicant = application.applicant
        cert = application.cert
        return {
            "neph": licence.neph if licence else "",
            "birth_date": french_date(applicant.birth_date),
            "address_lines": [line for line in (applicant.address_line, f"{applicant.postal_code} {applicant.city}"
                                                 .strip()) if line],
            "categories": [
                {"code": c.category, "obtained_on": french_date(c.obtained_on),
                 "valid_until": french_date(c.valid_until)}
                for c in (licence.categories.all() if licence else [])
            ],
            "cert_address": [line for line in (cert.name, cert.address, f"{cert.postal_code} {cert.city}".strip())
                             if line] if cert else [],
            **self.more_output_context(application, output, licence),
        }

    def more_output_context(self, application, output, licence):
        return {}


# Inscription ------------------------------------------------------------------------------------------------


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
                   "25 €). Une fois la perte enregistrée, téléchargez l'attestation de perte : elle vous permet de "
                   "conduire pendant 2 mois. La déclaration ne peut pas être annulée si vous retrouvez votre permis.")
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
                   "fiscal de 25 €). Le récépissé de déclaration de vol vous permet de conduire pendant 2 mois.")
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


@registry.register
class Exchange(LicenceProcedure):
    code = Code.EXCHANGE
    label = "Échange d'un permis de conduire étranger"
    description = ("Échangez contre un permis français le permis délivré par un autre pays. Délivré hors de l'Union "
                   "européenne, il n'est reconnu qu'un an après votre installation en France et doit être échangé "
                   "dans ce délai. Instruit par le CERT de Nantes, à qui vous envoyez ensuite les originaux.")
    order = 70
    motive_steps = (Step("permis-etranger", "Votre permis étranger", ExchangeForm),)
    extra_documents = (
        RequiredDocument("foreign_licence", "Permis étranger (recto et verso)", rules=SCAN),
        RequiredDocument("residence", "Justificatif de la date d'installation en France",
                         help_text="Titre de séjour ; pour un ressortissant européen, tout document qui date votre "
                         "installation (bail, contrat de travail…).", rules=SCAN),
        RequiredDocument("translation", "Traduction officielle du permis", required=False, rules=SCAN,
                         help_text="Par un traducteur agréé, si le permis n'est pas rédigé en français et a été "
                         "délivré hors de l'Union européenne."),
    )
    eligibility = (
        EligibilityQuestion(
            "zone", "Quel pays a délivré votre permis ?",
            choices=(("eu", "Un pays de l'UE ou de l'EEE, la Suisse ou Monaco"),
                     ("french_overseas", "La Polynésie française, la Nouvelle-Calédonie, Wallis-et-Futuna ou "
                                         "Saint-Pierre-et-Miquelon"),
                     ("other_recent", "Un autre pays, et je suis installé(e) en France depuis moins d'un an"),
                     ("other_student", "Un autre pays, et je réside en France en tant qu'étudiant(e)"),
                     ("other_late", "Un autre pays, et je suis installé(e) en France depuis plus d'un an")),
            redirect={"other_late": Code.INSCRIPTION},
            help_text="Passé un an, un permis délivré hors de l'UE n'est plus échangeable : il faut passer le "
            "permis français."),
        EligibilityQuestion(
            "valid", "Votre permis étranger est-il en cours de validité ?",
            unsupported={"no": "Un permis périmé, suspendu ou annulé ne peut pas être échangé. Écrivez au CERT de "
                               "Nantes (CERT EPE-PCI, 6 quai Ceineray, BP 33515, 44035 Nantes Cedex 1) pour étudier "
                               "votre situation."}),
    )
    requires = None
    expected_days = 60
    outputs = {"submit": (RECEPISSE, Output("bordereau-echange", "Bordereau d'envoi des originaux au CERT de Nantes",
                                            "licences/pdf/bordereau_echange.html"))}

    def extra_problems(self, application, licence):
        data = self.step_data(application)
        given = set(application.documents.filter(message__isnull=True).values_list("kind", flat=True))
        if data.get("zone") == IssuingZone.OTHER and not data.get("in_french") and "translation" not in given:
            return ["Votre permis a été délivré hors de l'Union européenne et n'est pas rédigé en français : ajoutez "
                    "sa traduction officielle."]
        return []

    def update_register(self, application, licence, today):
        data = self.step_data(application)
        for category in data.get("categories", []):
            # Exchanged categories keep their original date; a heavy one is valid 5 years from the exchange.
            services.set_category(licence, category, obtained_on=as_date(data["licence_issued_on"]),
                                  renewed_on=today)


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

