"""The certificat d'immatriculation procedures, registered with the engine: déclaration de cession (seller),
changement de titulaire (buyer), changement d'adresse, duplicata."""

import dataclasses
import datetime

from django.urls import reverse
from django.utils import timezone

from core.dates import add_months
from core.formats import euros, french_date
from titles.enums import Filer, PaymentMethod
from titles.presentation import StatusSummary
from titles.procedures import FeeLine, HumanFallback, Missing, Output, Procedure, RegisterWrite, RequiredDocument, Step
from titles.registry import registry
from titles.sealing import seal
from titles.services import queue_document
from titles.uploads import UploadRules
from titles.workflow import InvalidTransition, Status
from vehicles import attempts, register, services
from vehicles.deadlines import controle_technique_after_years, needs_controle_technique
from vehicles.enums import (
    CESSION,
    CHANGEMENT_ADRESSE,
    CHANGEMENT_TITULAIRE,
    CODE_DE_CESSION_VALID_DAYS,
    CPI_VALID_MONTHS,
    DUPLICATA,
    PRO_AUTO,
    REDEVANCE_ACHEMINEMENT_CENTS,
    STICKERS_PER_CERTIFICATE,
    TAXE_FIXE_CENTS,
    VEHICLE,
    BuyerKind,
    DuplicataReason,
)
from vehicles.fees import RateUnknown, certificate_lines, fixed_lines
from vehicles.formats import departement_of, display_code
from vehicles.forms import (
    AddressChangeForm,
    BuyerForm,
    CessionCodeForm,
    CessionForm,
    ControleTechniqueForm,
    DuplicataOwnershipForm,
    DuplicataReasonForm,
    NewHolderForm,
    OwnershipForm,
)
from vehicles.models import Cession

RECEPISSE = Output("recepisse", "Récépissé de dépôt", "pdf/recepisse.html")
CPI = Output("cpi", "Certificat provisoire d'immatriculation (CPI)", "vehicles/pdf/cpi.html")
ACCUSE_CESSION = Output("accuse-cession", "Accusé d'enregistrement de la cession", "vehicles/pdf/accuse_cession.html")
CSA = Output("csa", "Certificat de situation administrative (non-gage)", "vehicles/pdf/csa.html", valid_days=15)
ACCUSE_ADRESSE = Output("accuse-adresse", "Accusé d'enregistrement du changement d'adresse",
                        "vehicles/pdf/accuse_adresse.html")

# Where a freshly registered code de cession waits, sealed, in the seller's session, for its one display.
SESSION_CODES = "vehicles_codes_de_cession"

IMAGE_OR_PDF = UploadRules(kinds=("image", "pdf"))
IDENTITY = RequiredDocument("identity", "Justificatif d'identité", rules=IMAGE_OR_PDF,
                            help_text="Carte d'identité, passeport ou titre de séjour en cours de validité.")


def register_cession(application, ctx):
    """Register the seller's declaration; the plain code goes to the transition's outcome only (printed on the
    accusé, shown once on screen, never stored in clear)."""
    cession, code = register.register_cession(application, ctx.actor)
    ctx.outcome.facts.update(cession=cession, code_de_cession=code)


def issue_certificate_if_new(application, ctx):
    """On acceptance of a changement d'adresse, a new certificate only when the étiquettes are used up (or FNI)."""
    if register.address_change_outcome(application).get("result") == "nouveau_certificat":
        register.issue_certificate(application, ctx)


def vehicle_context(vehicle):
    """Return what a PDF prints about a vehicle, JSON-ready: the register at the moment the document is issued."""
    holders = list(vehicle.holders.current())
    return {
        "registration_number": vehicle.registration_number,
        "vin": vehicle.vin,
        "make": vehicle.make,
        "model_name": vehicle.model_name,
        "category": vehicle.get_category_display(),
        "energy": vehicle.get_energy_display(),
        "fiscal_horsepower": vehicle.fiscal_horsepower,
        "first_registration_date": french_date(vehicle.first_registration_date),
        "certificate_date": french_date(vehicle.certificate_date),
        "address": vehicle.address_display,
        "holders": [{"name": h.printed_name, "role": h.get_role_display()} for h in holders],
        "holder_name": holders[0].printed_name if holders else "",
        "situation": [{"label": label, "value": "Oui" if value else "Non"}
                      for label, value in vehicle.situation_lines],
    }


class VehicleProcedure(Procedure):
    title = VEHICLE
    # The carte grise taxes (Y1, Y2, Y3/Y5…) are paid by bank card at the end of the démarche, not by timbre fiscal
    # (ANTS, service-public: « paiement par carte bancaire en fin de démarche »); see docs/glossary.md.
    payment = PaymentMethod.CARD
    fallback = HumanFallback(
        alternative="Un professionnel de l'automobile habilité par la préfecture (un garage, par exemple) peut faire "
        "la démarche à votre place, avec un mandat d'immatriculation signé (cerfa 13757).",
        source="arrêté du 9 février 2009 relatif aux modalités d'immatriculation des véhicules (habilitation des "
        "professionnels) ; mandat : cerfa 13757*03",
    )

    def get_step_form(self, step, application, data=None, record=True):
        return step.form_class(data=data, initial=application.data.get(step.slug, {}), application=application,
                               record=record)

    def stored_step_form(self, step, application):
        # Re-checking stored data is not an attempt: only what a person types counts against the lockouts.
        return self.get_step_form(step, application, data=application.data.get(step.slug) or None, record=False)

    def record_step(self, application, step_slug, values):
        # The vehicle (and the cession) the first step established are facts with their own row, not draft values.
        vehicle_id, cession_id = values.pop("vehicle_id", None), values.pop("cession_id", None)
        if step_slug == "vehicule" and vehicle_id:
            services.record_vehicle(application, vehicle_id=vehicle_id, cession_id=cession_id)
        return values

    def owner_initial(self, application):
        applicant = application.applicant
        return {"vehicule": {"family_name": (applicant.usage_name or applicant.family_name).upper(),
                             "given_names": applicant.given_names.upper()}}

    def vehicle_line(self, application):
        vehicle = services.vehicle_of(application)
        if vehicle is None:
            return []
        return [("Véhicule", f"{vehicle.registration_number} — {vehicle.label}")]

    def holder_lines(self, application):
        """The new holder's address and co-titulaire as the « titulaire » step recorded them, for the recap."""
        holder = application.data.get("titulaire") or {}
        lines = []
        if holder.get("address_line"):
            lines.append(("Adresse", f"{holder['address_line']}, {holder.get('postal_code', '')} "
                                     f"{holder.get('city', '')}"))
        if holder.get("cotitulaire_family_name"):
            lines.append(("Cotitulaire", f"{holder['cotitulaire_family_name'].upper()} "
                                         f"{holder.get('cotitulaire_given_names', '')}".strip()))
        return lines

    def valid_until(self, application, output, issued_at):
        if output.kind == CPI.kind:
            return add_months(timezone.localdate(issued_at), CPI_VALID_MONTHS)
        return super().valid_until(application, output, issued_at)

    def output_context(self, application, output):
        vehicle = services.vehicle_of(application)
        return {"vehicle": vehicle_context(vehicle)} if vehicle else {}

    def on_submit(self, application, ctx):
        services.notify_client_of_professional(application)


@registry.register
class CessionProcedure(VehicleProcedure):
    code = CESSION
    label = "Déclaration de cession d'un véhicule (vente ou don)"
    description = (
        "Vous vendez ou donnez votre véhicule : déclarez-le dans les 15 jours qui suivent (article R322-4 du code de "
        "la route). Vous obtenez aussitôt le code de cession à remettre à l'acquéreur, l'accusé d'enregistrement et "
        "le certificat de situation administrative (non-gage). Munissez-vous de la carte grise : son numéro de "
        "formule prouve que le véhicule est à vous."
    )
    order = 10
    filers = (Filer.CITIZEN, Filer.MEDIATEUR, PRO_AUTO)
    steps = (
        Step("vehicule", "Votre véhicule", OwnershipForm),
        Step("cession", "La cession", CessionForm),
        Step("acquereur", "L'acquéreur", BuyerForm),
    )
    # The accusé, which prints the code, is queued by on_submit (the code is in the outcome only).
    outputs = {"submit": (CSA,)}
    writes = (RegisterWrite(at="submit", do=register_cession, undo=register.cancel_cession),)
    event_labels = {"sealed_copy_taken": "Exemplaire de l'accusé avec le code de cession téléchargé"}
    # The declaration is registered on submission; the CERT only checks it afterwards.
    expected_days = 2

    def initial_data(self, application):
        return self.owner_initial(application)

    def guard(self, application, transition, actors):
        """Refuse the seller's withdrawal once the buyer has used the code (before the undo would: the page then
        offers no « Retirer ma demande » at all)."""
        super().guard(application, transition, actors)
        if transition.name == "withdraw" and Cession.objects.filter(
                application=application, used_by_application__isnull=False).exists():
            raise InvalidTransition("cession_used", "L'acquéreur a déjà fait le changement de titulaire avec ce "
                                                    "code de cession : la déclaration ne peut plus être retirée.")

    def summary_lines(self, application):
        data = application.data
        lines = self.vehicle_line(application)
        owner = data.get("vehicule") or {}
        if owner.get("family_name"):
            lines.append(("Titulaire", f"{owner['family_name']} {owner.get('given_names', '')}".strip()))
        sale = data.get("cession") or {}
        if sale.get("sold_on") and sale.get("sold_time"):
            lines.append(("Date et heure de la cession", f"{french_date(sale['sold_on'])} à {sale['sold_time'][:5]}"))
        if sale.get("mileage") is not None and sale.get("mileage") != "":
            lines.append(("Kilométrage", f"{sale['mileage']} km"))
        if sale.get("late_acknowledged"):
            lines.append(("Déclaration tardive", "Oui (plus de 15 jours après la cession)"))
        buyer = data.get("acquereur") or {}
        if buyer.get("buyer_kind") == BuyerKind.COMPANY:
            lines.append(("Acquéreur", f"{buyer.get('company_name')} (SIREN {buyer.get('siren')})"))
        elif buyer.get("family_name"):
            lines.append(("Acquéreur", f"{buyer['family_name'].upper()} {buyer.get('given_names', '')}".strip()))
        if buyer.get("email"):
            lines.append(("Adresse électronique de l'acquéreur", buyer["email"]))
        return lines

    def validate_submission(self, application):
        vehicle = services.vehicle_of(application)
        if vehicle is not None and (vehicle.opposition or vehicle.vol):
            return ["Une opposition ou une déclaration de vol empêche la cession de ce véhicule : adressez-vous à la "
                    "préfecture."]
        return []

    def on_submit(self, application, ctx):
        code = ctx.outcome.facts["code_de_cession"]
        ctx.outcome.documents.append(queue_document(
            application, ACCUSE_CESSION, procedure=self,
            # Sealed: only the declarant's copy prints it (titles.tasks.render_document), never the accusé the CERT
            # sees, and the row never holds it in clear.
            context={"secret_code_de_cession": seal(display_code(code))}))
        super().on_submit(application, ctx)

    def status_summary(self, application):
        """A cession is registered when declared: say so rather than "waiting for the CERT", and say when the buyer
        has used the code (the code's expiry follows from the submission time)."""
        if application.status not in (Status.SUBMITTED, Status.IN_REVIEW) or application.submitted_at is None:
            return None
        # The register, not the file, says whether the buyer has taken the cession up: a list selects the cession
        # with the file (`select_related("cession")`), a single page costs one query.
        try:
            used_at = application.cession.used_at
        except Cession.DoesNotExist:
            used_at = None
        if used_at is not None:
            return StatusSummary(
                "Cession terminée",
                "Votre déclaration de cession est enregistrée et l'acquéreur a fait son changement de titulaire le "
                f"{french_date(used_at)} : le véhicule n'est plus à votre nom. Vous n'avez plus "
                "rien à faire.",
                "",
                "success",
            )
        # As register.register_cession sets it: 15 × 24 hours, whatever a change of time in between.
        expires = timezone.localtime(application.submitted_at + datetime.timedelta(days=CODE_DE_CESSION_VALID_DAYS))
        return StatusSummary(
            "Cession enregistrée",
            "Votre déclaration de cession est enregistrée : vous n'êtes plus responsable des infractions commises "
            "avec ce véhicule après la date de la vente. Donnez à l'acquéreur le code de cession (valable jusqu'au "
            f"{french_date(expires)}) : il en a besoin pour son changement de titulaire.",
            "l'acquéreur",
            "success",
        )

    def after_submit_url(self, request, outcome):
        """Keep the fresh code, sealed, in the session for one display, and send the seller to the page that shows
        it (the session is stored in the database: the code is never there in clear)."""
        application = outcome.application
        code = outcome.facts.get("code_de_cession", "")
        if not code:
            return None
        codes = request.session.get(SESSION_CODES, {})
        codes[application.reference] = seal(code)
        request.session[SESSION_CODES] = codes
        return reverse("vehicles:cession_code", kwargs={"reference": application.reference})

    def output_context(self, application, output):
        context = super().output_context(application, output)
        cession = application.cession
        context.update(
            sold_at=f"{french_date(cession.sold_at)} à "
                    f"{timezone.localtime(cession.sold_at):%H:%M}",
            mileage=cession.mileage,
            buyer_name=cession.buyer_name,
            seller_name=application.applicant.get_full_name(),
        )
        if output.kind == ACCUSE_CESSION.kind:
            context["code_expires"] = french_date(cession.code_expires_at)
        return context


@registry.register
class ChangementTitulaireProcedure(VehicleProcedure):
    code = CHANGEMENT_TITULAIRE
    label = "Changement de titulaire (achat d'un véhicule d'occasion)"
    description = (
        "Vous achetez ou recevez un véhicule d'occasion : faites la carte grise à votre nom dans le mois qui suit la "
        "cession (article R322-5 du code de la route), avec le code de cession que le vendeur vous a remis. Vous "
        "imprimez aussitôt votre certificat provisoire d'immatriculation (CPI), valable un mois, et recevez la carte "
        "grise chez vous."
    )
    order = 20
    filers = (Filer.CITIZEN, Filer.MEDIATEUR, PRO_AUTO)
    steps = (
        Step("vehicule", "Véhicule et code de cession", CessionCodeForm),
        Step("titulaire", "Nouveau titulaire", NewHolderForm),
        Step("controle", "Contrôle technique", ControleTechniqueForm),
    )
    documents = (
        RequiredDocument("controle_technique", "Procès-verbal du contrôle technique", required=False,
                         rules=IMAGE_OR_PDF,
                         help_text="Obligatoire pour un véhicule de plus de 4 ans : contrôle de moins de 6 mois."),
        IDENTITY,
        RequiredDocument("proof_of_address", "Justificatif de domicile de moins de 6 mois", rules=IMAGE_OR_PDF,
                         help_text="Facture d'électricité, de téléphone, avis d'imposition, quittance de loyer…"),
        RequiredDocument("driving_licence", "Permis de conduire", rules=IMAGE_OR_PDF,
                         help_text="Le permis correspondant à la catégorie du véhicule."),
    )
    # Shown on the start page as the least it costs; the total is computed line by line before payment.
    fee_cents = TAXE_FIXE_CENTS + REDEVANCE_ACHEMINEMENT_CENTS
    outputs = {"submit": (RECEPISSE, CPI)}
    writes = (
        RegisterWrite(at="submit", do=register.transfer_ownership, undo=register.undo_transfer),
        RegisterWrite(at="accept", do=register.issue_certificate),
    )

    @property
    def fee_display(self):
        return (f"{euros(self.fee_cents)} plus la taxe régionale (puissance fiscale × tarif de la région, réduite de "
                "moitié à partir de 10 ans ; pour un véhicule électrique ou à hydrogène, selon le choix de la région) "
                "et, pour un véhicule utilitaire, la taxe pour la formation professionnelle")

    def initial_data(self, application):
        applicant = application.applicant
        return {"titulaire": {"address_line": applicant.address_line, "postal_code": applicant.postal_code,
                              "city": applicant.city}}

    def fee_lines(self, application):
        vehicle = services.vehicle_of(application)
        if vehicle is None:
            return fixed_lines()
        postal_code = (application.data.get("titulaire") or {}).get("postal_code") or application.applicant.postal_code
        try:
            return certificate_lines(vehicle, departement_of(postal_code), timezone.localdate())
        except RateUnknown:
            return fixed_lines()

    def summary_lines(self, application):
        lines = self.vehicle_line(application)
        cession = services.cession_of(application)
        if cession is not None:
            lines.append(("Cédé le", french_date(cession.sold_at)))
            lines.append(("Vendeur", cession.application.applicant.get_full_name()))
        lines.append(("Nouveau titulaire", application.applicant.get_full_name()))
        lines += self.holder_lines(application)
        controle = application.data.get("controle") or {}
        if controle.get("ct_date"):
            lines.append(("Contrôle technique du", french_date(controle["ct_date"])))
        if controle.get("contre_visite_date"):
            lines.append(("Contre-visite du", french_date(controle["contre_visite_date"])))
        return lines

    def documents_for(self, application):
        """Make the contrôle technique's report required, at the pièces step too, when this vehicle needs one."""
        cession = services.cession_of(application)
        if cession is None:
            return self.documents
        vehicle = cession.vehicle
        if not needs_controle_technique(vehicle.first_registration_date, cession.sold_at, vehicle.category):
            return self.documents
        years = controle_technique_after_years(vehicle.category, cession.sold_at)
        help_text = f"Obligatoire pour ce véhicule, qui a plus de {years} ans : contrôle de moins de 6 mois."
        return tuple(
            dataclasses.replace(document, required=True, help_text=help_text)
            if document.kind == "controle_technique" else document
            for document in self.documents)

    def validate_submission(self, application):
        cession = services.cession_of(application)
        if cession is not None and cession.used_by_application_id not in (None, application.pk):
            return [Missing(attempts.CODE_USED, step="vehicule")]
        return []


@registry.register
class ChangementAdresseProcedure(VehicleProcedure):
    code = CHANGEMENT_ADRESSE
    label = "Changement d'adresse sur la carte grise"
    description = (
        "Vous avez déménagé : déclarez votre nouvelle adresse dans le mois (article R322-7 du code de la route). Les "
        "trois premiers changements donnent une étiquette à coller sur la carte grise, envoyée chez vous ; le "
        "quatrième, une nouvelle carte grise. Une carte grise à l'ancien format (123 ABC 83) est remplacée par une "
        "carte au nouveau numéro. Gratuit, sauf l'envoi d'une nouvelle carte grise (2,76 €)."
    )
    order = 30
    steps = (
        Step("vehicule", "Votre véhicule", OwnershipForm),
        Step("adresse", "Nouvelle adresse", AddressChangeForm),
    )
    outputs = {"submit": (ACCUSE_ADRESSE,)}
    writes = (
        RegisterWrite(at="submit", do=register.change_address, undo=register.undo_address_change),
        RegisterWrite(at="accept", do=issue_certificate_if_new),
    )

    def initial_data(self, application):
        return self.owner_initial(application)

    def needs_new_certificate(self, vehicle):
        return not vehicle.is_siv or vehicle.stickers >= STICKERS_PER_CERTIFICATE

    def fee_lines(self, application):
        vehicle = services.vehicle_of(application)
        if vehicle is not None and self.needs_new_certificate(vehicle):
            return [FeeLine("Redevance d'acheminement du nouveau certificat (Y5)", REDEVANCE_ACHEMINEMENT_CENTS)]
        return []

    def summary_lines(self, application):
        lines = self.vehicle_line(application)
        address = application.data.get("adresse") or {}
        if address.get("address_line"):
            lines.append(("Nouvelle adresse", f"{address['address_line']}, {address.get('postal_code', '')} "
                                              f"{address.get('city', '')}"))
        if address.get("moved_on"):
            lines.append(("Date du déménagement", french_date(address["moved_on"])))
        return lines

    def on_submit(self, application, ctx):
        if register.address_change_outcome(application).get("old_number"):
            # A new number: the holder drives with the CPI until the new certificate arrives.
            ctx.outcome.documents.append(queue_document(application, CPI, procedure=self))
        super().on_submit(application, ctx)

    def output_context(self, application, output):
        context = super().output_context(application, output)
        context["outcome"] = register.address_change_outcome(application)
        return context


@registry.register
class DuplicataProcedure(VehicleProcedure):
    code = DUPLICATA
    label = "Duplicata de carte grise (perte, vol, détérioration)"
    description = (
        "Votre carte grise est perdue, volée ou abîmée : demandez-en une nouvelle. Vous imprimez aussitôt un "
        "certificat provisoire d'immatriculation (CPI), valable un mois. En cas de vol, munissez-vous de la "
        "référence de votre déclaration à la police ou à la gendarmerie. L'ancienne carte ne vaut plus dès votre "
        "demande."
    )
    order = 40
    steps = (
        Step("vehicule", "Votre véhicule", DuplicataOwnershipForm),
        Step("motif", "Motif", DuplicataReasonForm),
    )
    documents = (IDENTITY,)
    fee_cents = TAXE_FIXE_CENTS + REDEVANCE_ACHEMINEMENT_CENTS
    outputs = {"submit": (RECEPISSE, CPI)}
    writes = (
        RegisterWrite(at="submit", do=register.register_duplicata, undo=register.undo_duplicata),
        RegisterWrite(at="accept", do=register.issue_certificate),
    )

    def initial_data(self, application):
        return self.owner_initial(application)

    def fee_lines(self, application):
        return fixed_lines()

    def summary_lines(self, application):
        lines = self.vehicle_line(application)
        reason = application.data.get("motif") or {}
        if reason.get("reason"):
            lines.append(("Motif", DuplicataReason(reason["reason"]).label))
        if reason.get("event_date"):
            lines.append(("Date", french_date(reason["event_date"])))
        if reason.get("police_reference"):
            lines.append(("Référence de la déclaration de vol", reason["police_reference"]))
        return lines
