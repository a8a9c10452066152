"""The pré-demande de carte nationale d'identité and the pré-demande de passeport.

Both are filed online by the holder, or by a parent for a minor child; the pré-demande is then deposited at a
mairie equipped with a dispositif de recueil, on appointment, where the agent checks the pièces and takes the
fingerprints. Only then can the CERT instruct it: `guard` refuses `take` before the deposit (see
docs/glossary.md, « Identité », for the workflow). Registered by `identity.apps.IdentityConfig.ready()`.
"""

from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from core.formats import french_date
from identity import services
from identity.enums import (
    IDENTITY,
    MOTIFS_WITH_CURRENT_TITLE,
    Beneficiary,
    Motif,
    NationalityBasis,
    TitleKind,
)
from identity.forms import CoordonneesForm, EtatCivilForm, FiliationForm, MotifForm, NationaliteForm
from identity.models import Deposit, PreDemande
from identity.rules import (
    FINGERPRINT_MIN_AGE,
    age_on,
    as_date,
    departement_of,
    display_mobile,
    fee_lines,
    normalise_mobile,
    pieces_to_bring,
)
from titles.enums import DocumentStatus, Filer
from titles.models import GeneratedDocument
from titles.presentation import StatusSummary
from titles.procedures import EligibilityQuestion, HumanFallback, Output, Procedure, RegisterWrite, Step
from titles.registry import registry
from titles.services import actor_roles
from titles.workflow import Actor, InvalidTransition, Status

RECAPITULATIF = Output("recapitulatif", "Récapitulatif de pré-demande", "identity/pdf/recapitulatif.html")

ABROAD = EligibilityQuestion(
    "abroad",
    "Résidez-vous à l'étranger ?",
    unsupported={
        "yes": "Les Français établis hors de France font leur demande auprès de l'ambassade ou du consulat de leur "
        "pays de résidence, sans pré-demande sur ce site. Pendant un séjour en France, vous pouvez aussi déposer une "
        "demande dans une mairie équipée : faites alors la pré-demande en indiquant une adresse en France."
    },
)
DEPOSIT_PLACE = EligibilityQuestion(
    "deposit_place",
    "Où déposerez-vous la demande ?",
    choices=(("france", "Dans une mairie en France"), ("abroad", "Dans un consulat ou une ambassade, hors de France")),
    unsupported={
        "abroad": "La pré-demande en ligne ne vaut que pour une demande déposée dans une mairie en France. Pour un "
        "dépôt hors de France, adressez-vous au consulat ou à l'ambassade : il vous indiquera le formulaire à "
        "remplir."
    },
)
FRENCH = EligibilityQuestion(
    "french",
    "La personne pour qui est le titre est-elle de nationalité française ?",
    choices=(("yes", "Oui"), ("no", "Non")),
    unsupported={
        "no": "La carte d'identité et le passeport français sont réservés aux Français. Une personne étrangère "
        "résidant en France demande un titre de séjour ou un document de circulation sur le site de l'administration "
        "numérique des étrangers en France (ANEF)."
    },
)

STEPS = (
    Step("motif", "Motif", MotifForm),
    Step("etat_civil", "État civil", EtatCivilForm),
    Step("filiation", "Filiation", FiliationForm),
    Step("nationalite", "Nationalité française", NationaliteForm),
    Step("coordonnees", "Adresse et téléphone", CoordonneesForm),
)


class PreDemandeProcedure(Procedure):
    """What the two pré-demandes share; a subclass names its title."""

    title = IDENTITY
    kind = TitleKind.CNI
    filers = (Filer.CITIZEN, Filer.MEDIATEUR)
    steps = STEPS
    fallback = HumanFallback(
        alternative="La pré-demande en ligne est facultative : vous pouvez aussi remplir le formulaire papier (cerfa) "
        "que la mairie vous remet, au guichet, le jour du rendez-vous.",
        source="http://www.alpes-de-haute-provence.gouv.fr/index.php/Actualites/"
        "Feu-vert-pour-les-pre-demandes-de-passeport-en-ligne",
    )
    eligibility = (ABROAD, DEPOSIT_PLACE, FRENCH)
    outputs = {"submit": (RECAPITULATIF,)}
    writes = (RegisterWrite(at="submit", do=services.register_pre_demande, undo=services.cancel_pre_demande),)
    # The events identity.services writes, as the citizen's timeline names them.
    event_labels = {
        "appointment_booked": "Rendez-vous pris en mairie",
        "appointment_cancelled": "Rendez-vous en mairie annulé",
        "mairie_deposit": "Demande déposée en mairie : pièces vérifiées",
        "mairie_lookup": "Pré-demande consultée en mairie",
    }
    # From the pré-demande to the decision: the appointment at the mairie, then the CERT's instruction.
    expected_days = 30

    # Reading the draft -----------------------------------------------------------------------------------------

    def step_data(self, application, slug):
        return application.data.get(slug) or {}

    def filed(self, application):
        """Return the PreDemande of a filed file, which holds whom and what it was filed for; None for a draft.

        Once filed, these facts are read from that row, never from the draft (`Application.data`)."""
        if application.is_draft:
            return None
        try:
            return application.pre_demande
        except PreDemande.DoesNotExist:
            return None

    def holder_facts(self, application):
        """Return the PreDemande columns the draft fills at submission (see `services.register_pre_demande`)."""
        motif = self.step_data(application, "motif")
        civil = self.step_data(application, "etat_civil")
        return {
            "for_child": (motif.get("beneficiary") or Beneficiary.SELF) == Beneficiary.CHILD,
            "motif": motif.get("motif") or "",
            "holder_family_name": civil.get("family_name") or "",
            "holder_usage_name": civil.get("usage_name") or "",
            "holder_given_names": civil.get("given_names") or "",
            "holder_birth_date": as_date(civil.get("birth_date")),
        }

    def beneficiary(self, application):
        filed = self.filed(application)
        if filed is not None:
            return Beneficiary.CHILD if filed.for_child else Beneficiary.SELF
        return self.step_data(application, "motif").get("beneficiary") or Beneficiary.SELF

    def is_for_child(self, application):
        return self.beneficiary(application) == Beneficiary.CHILD

    def motif(self, application):
        filed = self.filed(application)
        if filed is not None:
            return filed.motif
        return self.step_data(application, "motif").get("motif") or ""

    def holder_birth_date(self, application):
        filed = self.filed(application)
        if filed is not None:
            return filed.holder_birth_date
        return as_date(self.step_data(application, "etat_civil").get("birth_date"))

    def holder_age(self, application, today=None):
        birth_date = self.holder_birth_date(application)
        return age_on(birth_date, today or timezone.localdate()) if birth_date else None

    def holder_name(self, application):
        filed = self.filed(application)
        if filed is not None:
            return filed.holder_name
        data = self.step_data(application, "etat_civil")
        last = data.get("usage_name") or data.get("family_name") or ""
        return " ".join(part for part in (data.get("given_names"), last) if part)

    def identity_is_locked(self, application):
        """Whether the état civil comes from FranceConnect: only when the title is for the applicant themself."""
        return not self.is_for_child(application) and application.applicant.identity_locked

    # The wizard ------------------------------------------------------------------------------------------------

    def get_step_form(self, step, application, data=None):
        stored = self.step_data(application, step.slug)
        initial = dict(stored) or self.default_initial(step.slug, application)
        extra = {}
        if step.slug == "etat_civil":
            locked = self.identity_is_locked(application)
            if locked:
                initial.update(self.applicant_identity(application))
            extra["locked"] = locked
        return step.form_class(data=data, initial=initial, application=application, kind=self.kind, **extra)

    def applicant_identity(self, application):
        applicant = application.applicant
        return {
            "family_name": applicant.family_name,
            "given_names": applicant.given_names,
            "gender": applicant.gender,
            "birth_date": applicant.birth_date.isoformat() if applicant.birth_date else None,
        }

    def default_initial(self, slug, application):
        """Pre-fill a step the user has not saved yet (shown, not stored: the user still checks each step)."""
        applicant = application.applicant
        if slug == "etat_civil" and not self.is_for_child(application):
            return {**self.applicant_identity(application), "usage_name": applicant.usage_name,
                    "birth_country": "France" if applicant.birth_country in ("", "99100") else ""}
        if slug == "etat_civil":
            return {"family_name": applicant.family_name, "birth_country": "France"}
        if slug == "coordonnees":
            try:
                mobile = display_mobile(normalise_mobile(applicant.phone)) if applicant.phone else ""
            except ValidationError:
                mobile = ""  # a landline in the account: the SMS needs a mobile
            return {"address_line": applicant.address_line, "postal_code": applicant.postal_code,
                    "city": applicant.city, "mobile": mobile}
        return {}

    # Fees, checks, routing --------------------------------------------------------------------------------------

    def fee_lines(self, application):
        motif = self.step_data(application, "motif")
        return fee_lines(
            self.kind,
            motif=motif.get("motif"),
            birth_date=self.holder_birth_date(application),
            current_title_valid_until=as_date(motif.get("current_title_valid_until")),
            today=timezone.localdate(),
            departement=self.departement(application),
        )

    def pieces(self, application):
        # Once filed, the timbre is the one paid (an age band may have changed since).
        fee_cents = self.fee_total(application) if application.is_draft else application.fee_cents
        current = as_date(self.step_data(application, "motif").get("current_title_valid_until"))
        # The day the pré-demande was filed (today for a draft): the pièces do not change while it waits.
        day = timezone.localdate(application.submitted_at) if application.submitted_at else timezone.localdate()
        return pieces_to_bring(self.kind, motif=self.motif(application), is_minor=self.is_for_child(application),
                               fee_cents=fee_cents, current_title_valid_until=current, today=day)

    def departement(self, application):
        """Route by the holder's address (the child's, for a minor), else the applicant's."""
        postal_code = self.step_data(application, "coordonnees").get("postal_code")
        return departement_of(postal_code) or application.applicant.departement

    def guard(self, application, transition, actors):
        deposited = Deposit.objects.filter(pre_demande__application=application).exists()
        if transition.name == "take" and not deposited:
            raise InvalidTransition(
                "no_deposit",
                "La pré-demande n'est pas encore déposée en mairie : elle sera instruite après le rendez-vous, "
                "une fois les pièces vérifiées et les empreintes relevées.",
            )
        if transition.name == "close" and deposited:
            raise InvalidTransition("deposited", "Une pré-demande déposée en mairie ne peut plus expirer.")

    def agent_status_labels(self, applications):
        """A submitted pré-demande waits for its deposit in a mairie before the CERT may take it."""
        submitted = [application.pk for application in applications if application.status == Status.SUBMITTED]
        if not submitted:
            return {}
        deposited = set(
            Deposit.objects.filter(pre_demande__application__in=submitted).values_list(
                "pre_demande__application", flat=True
            )
        )
        return {pk: "En attente du dépôt en mairie" for pk in submitted if pk not in deposited}

    def after_submit_url(self, request, outcome):
        """Show the numéro de pré-demande and the next step (the appointment) right after submission."""
        return reverse("identity:pre_demande", kwargs={"reference": outcome.application.reference})

    def valid_until(self, application, output, issued_at):
        pre_demande = PreDemande.objects.filter(application=application).first()
        if pre_demande is not None:
            return pre_demande.expires_on
        return services.pre_demande_expiry(timezone.localtime(issued_at).date())

    def output_context(self, application, output):
        pre_demande = PreDemande.objects.get(application=application)
        age = self.holder_age(application)
        return {
            "numero_pre_demande": pre_demande.number,
            "numero_pre_demande_display": pre_demande.number_display,
            "title_kind": pre_demande.get_kind_display(),
            "holder_name": self.holder_name(application),
            "for_child": self.is_for_child(application),
            "minor_in_person": age is not None and age >= FINGERPRINT_MIN_AGE and self.is_for_child(application),
            "expires_on": french_date(pre_demande.expires_on),
            "pieces": [piece.label for piece in self.pieces(application)],
        }

    # The pré-demande's page, and its block on the file's page -----------------------------------------------

    def pre_demande_context(self, application, user=None):
        """Return what the pré-demande's pages show: number, récapitulatif, appointment, deposit, pièces; whether
        `user` may book, move or cancel the appointment."""
        pre_demande = application.pre_demande
        slot = services.appointment_of(application)
        deposit = Deposit.objects.filter(pre_demande=pre_demande).select_related("mairie").first()
        waiting = application.status == Status.SUBMITTED and deposit is None and not pre_demande.is_expired
        can_manage = (user is not None and waiting
                      and bool(actor_roles(application, user) & {Actor.APPLICANT, Actor.MEDIATEUR}))
        return {
            "application": application,
            "pre_demande": pre_demande,
            # A slot still held by a file that moved on (deposited, withdrawn, closed) is no appointment any more.
            "slot": slot if waiting else None,
            "deposit": deposit,
            "recapitulatif": GeneratedDocument.objects.filter(
                application=application, kind=RECAPITULATIF.kind, status=DocumentStatus.READY
            ).first(),
            "pieces": self.pieces(application),
            "holder_name": self.holder_name(application),
            "for_child": self.is_for_child(application),
            "holder_age": self.holder_age(application),
            "fingerprint_age": FINGERPRINT_MIN_AGE,
            "waiting_for_appointment": waiting,
            "can_manage": can_manage,
        }

    def status_summary(self, application):
        """Say what a submitted pré-demande waits for: the deposit at the mairie, not yet the CERT."""
        if application.status != Status.SUBMITTED or Deposit.objects.filter(
            pre_demande__application=application
        ).exists():
            return None
        slot = services.appointment_of(application)
        if slot is None:
            return StatusSummary(
                "Pré-demande enregistrée",
                "Prochaine étape : prendre rendez-vous dans une mairie équipée d'un dispositif de recueil, où la "
                "demande sera enregistrée. Elle sera instruite ensuite.",
                "vous",
                "warning",
            )
        return StatusSummary(
            "Pré-demande enregistrée",
            f"Prochaine étape : le rendez-vous à {slot.mairie.name}, le {services.french_datetime(slot.start)}. La "
            "demande sera instruite une fois enregistrée en mairie.",
            "vous, au rendez-vous",
            "info",
        )

    def detail_panel(self, application, user):
        """Return the block the file's page shows for a submitted pré-demande (number, appointment, pièces)."""
        if not PreDemande.objects.filter(application=application).exists():
            return None
        return render_to_string("identity/_detail_panel.html", self.pre_demande_context(application, user))

    # What the recap, the récapitulatif and the agent read ------------------------------------------------------

    def summary_lines(self, application):
        motif = self.step_data(application, "motif")
        civil = self.step_data(application, "etat_civil")
        filiation = self.step_data(application, "filiation")
        nationality = self.step_data(application, "nationalite")
        contact = self.step_data(application, "coordonnees")
        lines = [("Titre demandé", TitleKind(self.kind).label)]
        if motif:
            lines.append(("Titulaire", f"Enfant mineur du demandeur ({application.applicant.get_full_name()}, "
                                       "représentant légal)" if self.is_for_child(application) else "Le demandeur"))
            lines.append(("Motif", Motif(motif["motif"]).label))
            if motif.get("motif") in MOTIFS_WITH_CURRENT_TITLE and motif.get("current_title_valid_until"):
                lines.append(("Titre actuel valable jusqu'au",
                              french_date(as_date(motif["current_title_valid_until"]))))
        if civil:
            lines += [
                ("Nom de naissance", civil.get("family_name", "")),
                ("Nom d'usage", civil.get("usage_name") or "—"),
                ("Prénoms", civil.get("given_names", "")),
                ("Sexe", {"female": "Féminin", "male": "Masculin"}.get(civil.get("gender"), "")),
                ("Date et lieu de naissance", f"{french_date(as_date(civil.get('birth_date')))} à "
                                              f"{civil.get('birth_city', '')} ({civil.get('birth_country', '')})"),
                ("Taille", f"{civil.get('height_cm', '')} cm"),
            ]
        for number in (1, 2):
            if filiation.get(f"parent{number}_family_name"):
                born = ", ".join(filter(None, [
                    f"né(e) le {french_date(as_date(filiation.get(f'parent{number}_birth_date')))}"
                    if filiation.get(f"parent{number}_birth_date") else "",
                    f"à {filiation[f'parent{number}_birth_place']}" if filiation.get(f"parent{number}_birth_place")
                    else "",
                ]))
                lines.append((f"Parent {number}", f"{filiation.get(f'parent{number}_given_names', '')} "
                                                  f"{filiation[f'parent{number}_family_name']}"
                                                  + (f" — {born}" if born else "")))
        if filiation.get("parent2_unknown"):
            lines.append(("Parent 2", "Filiation établie à l'égard d'un seul parent"))
        if nationality:
            basis = NationalityBasis(nationality["basis"]).label
            lines.append(("Nationalité française", basis + (f" — {nationality['reference']}"
                                                            if nationality.get("reference") else "")))
        if contact:
            address = ", ".join(filter(None, [contact.get("address_line"), contact.get("address_complement"),
                                              f"{contact.get('postal_code', '')} {contact.get('city', '')}"]))
            lines.append(("Adresse", address))
            lines.append(("Mobile pour le SMS « titre prêt »",
                          display_mobile(contact["mobile"]) if contact.get("mobile") else "Pas de SMS"))
        return lines + services.deposit_lines(application)


@registry.register
class CniPreDemande(PreDemandeProcedure):
    code = "cni-pre-demande"
    kind = TitleKind.CNI
    label = "Pré-demande de carte nationale d'identité"
    description = (
        "Remplissez en ligne votre demande de carte d'identité, pour vous ou pour votre enfant mineur : première "
        "demande, renouvellement, perte, vol, changement d'état civil ou d'adresse. Vous recevez un numéro de "
        "pré-demande, puis vous prenez rendez-vous dans une mairie équipée d'un dispositif de recueil, où vos "
        "empreintes sont relevées. La carte est gratuite, sauf après une perte ou un vol (timbre fiscal de 25 €)."
    )
    order = 10

    @property
    def fee_display(self):
        return "25 € seulement après une perte ou un vol (sinon gratuite)"

    # The start page announces a timbre only when fee_cents is set: the CNI may need one (perte, vol).
    fee_cents = 2500


@registry.register
class PasseportPreDemande(PreDemandeProcedure):
    code = "passeport-pre-demande"
    kind = TitleKind.PASSEPORT
    label = "Pré-demande de passeport"
    description = (
        "Remplissez en ligne votre demande de passeport, pour vous ou pour votre enfant mineur : première demande, "
        "renouvellement, perte, vol, changement d'état civil ou d'adresse. Le timbre fiscal électronique est payé "
        "pendant la pré-demande. Vous prenez ensuite rendez-vous dans une mairie équipée d'un dispositif de recueil."
    )
    order = 20
    # The start page announces a timbre when fee_cents is set; the amount due is computed by `fee_lines`.
    fee_cents = 8600

    def fee_pending(self, application):
        return self.holder_birth_date(application) is None  # the timbre's amount depends on the holder's age

    @property
    def fee_display(self):
        return ("86 € pour un majeur, 42 € de 15 à 17 ans, 17 € avant 15 ans (gratuit pour un changement d'état "
                "civil ou d'adresse si le passeport est encore valable plus d'un an)")

