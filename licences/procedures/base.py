"""What the permis de conduire procedures share: the documents and outputs they name, the register writes with
their undo, and the base class (the register, the photo and signature, the NEPH on every document, the new card
at delivery); each motive is a small subclass in its own module of this package."""

from django import forms
from django.utils import timezone

from core.formats import french_date
from licences import services
from licences.enums import (
    LICENCE,
    NEW_CARD_FEE_GUYANE_CENTS,
    NO_PAPER_MANDATE,
    NO_PAPER_MANDATE_DEPARTEMENTS,
    Code,
    LicenceStatus,
    PhotoMode,
)
from licences.ephoto import EphotoError, get_provider
from licences.forms import PhotoSignatureForm
from licences.models import Licence, LicenceFile
from titles.enums import DOCUMENTS_STEP, ConsentMethod
from titles.procedures import (
    EligibilityQuestion,
    FeeLine,
    Missing,
    Output,
    Procedure,
    RegisterWrite,
    RequiredDocument,
    Step,
    keep,
)
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
    # The file's page may be kept whole (titles/page_cache.py): the guard refuses only production steps and a
    # submission under a refused mandate, never the withdrawal the page offers, and the status wordings
    # (replacement.py) read the file and its centre alone. A subclass reading more says False.
    page_reads_only_the_file = True
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
            return [Missing("Un avis médical (cerfa 14880) est obligatoire pour les catégories du groupe lourd (C1 à "
                            "DE) et pour un permis sous restriction médicale : ajoutez-le aux pièces justificatives.",
                            step=DOCUMENTS_STEP)]
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
