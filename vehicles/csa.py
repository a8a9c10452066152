"""The certificat de situation administrative (CSA, « non-gage ») on demand: the seller and the buyer get it before
the sale, for any vehicle whose plate and numéro de formule they know (the seller shows the card), with the
holder's name as printed — the inputs of HistoVec.

A small automatic procedure rather than a second outbox: the PDF outbox (`GeneratedDocument`) is per application,
so the request is a file, with its verification code and its timeline. It is `completed_on_submit`: right after
the submission the portal makes the engine's `issue` transition (SUBMITTED → DELIVERED), which queues the CSA
(`outputs["issue"]`) and e-mails "issued"; the file never waits in a CERT queue nor counts in its backlog. Free,
no document, no register write. The check is the proof of ownership's, minus one rule: the holder need not be the
applicant (a buyer asks for the seller's vehicle), so every wrong combination counts against the same lockouts
(`CodeAttempt`, per account and vehicle, per account).
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from core.formats import french_date
from titles.enums import Filer
from titles.presentation import StatusSummary
from titles.procedures import Step
from titles.registry import registry
from titles.workflow import Status
from vehicles.attempts import Refused, _lockout, holder_matches
from vehicles.enums import CSA_ON_DEMAND, PRO_AUTO, AttemptKind
from vehicles.forms import OwnershipForm
from vehicles.models import CodeAttempt, Vehicle
from vehicles.procedures import CSA, VehicleProcedure

CSA_REFUSED = (
    "Ces informations ne correspondent à aucun véhicule du registre. Vérifiez le numéro d'immatriculation, le numéro "
    "de formule (ou la date du certificat) et le nom du titulaire tels qu'ils sont inscrits sur la carte grise."
)


def check_vehicle_known(*, registration, actor, family_name, given_names="", numero_formule="", certificate_date=None,
                        record=True):
    """Return the vehicle whose plate, numéro de formule (SIV) or date of certificate (FNI) and current holder's
    name as printed were typed, or raise Refused with one generic message.

    The same lockouts as the proof of ownership (`services._lockout`): a wrong combination is a failed OWNERSHIP
    attempt of `actor`'s account, so that the CSA is no oracle to guess a formule the cession would then accept."""
    now = timezone.now()
    with transaction.atomic():
        vehicle = Vehicle.objects.select_for_update().filter(registration_number=registration).first()
        if record:
            locked = _lockout(AttemptKind.OWNERSHIP, actor, vehicle, now)
            if locked:
                raise Refused(locked)
        known = False
        if vehicle is not None:
            if vehicle.is_siv:
                secret_ok = bool(vehicle.numero_formule) and constant_time_compare(numero_formule,
                                                                                   vehicle.numero_formule)
            else:
                secret_ok = certificate_date is not None and certificate_date == vehicle.certificate_date
            known = secret_ok and any(holder_matches(h, family_name, given_names) for h in vehicle.holders.current())
        if not known and record:
            CodeAttempt.objects.create(kind=AttemptKind.OWNERSHIP, user=actor, vehicle=vehicle, success=False)
    if not known:
        raise Refused(CSA_REFUSED)
    return vehicle


class CsaRequestForm(OwnershipForm):
    """The plate, the numéro de formule (or the certificate's date) and the holder's name, checked with the
    lockouts; the holder may be someone else (the seller, for a buyer)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.describe("family_name", help_text="Le nom inscrit sur la carte grise (le vendeur, si vous achetez), ou "
                                               "la raison sociale pour une société.")

    def clean(self):
        cleaned = super(OwnershipForm, self).clean()
        if self.errors:
            return cleaned
        secret = cleaned.get("numero_formule") or ""
        if len(secret) == 17:
            self.add_error("numero_formule", "Indiquez le numéro de formule de la carte grise (11 caractères), pas "
                                             "le numéro VIN.")
            return cleaned
        if self.registration.is_siv and not secret:
            self.add_error("numero_formule", "Indiquez le numéro de formule de la carte grise.")
            return cleaned
        if not self.registration.is_siv and not cleaned.get("certificate_date"):
            self.add_error("certificate_date", "Indiquez la date du certificat : les cartes grises à l'ancien "
                                               "format n'ont pas de numéro de formule.")
            return cleaned
        try:
            vehicle = check_vehicle_known(
                registration=self.registration.number, actor=self.application.filed_by,
                family_name=cleaned["family_name"], given_names=cleaned.get("given_names") or "",
                numero_formule=secret, certificate_date=cleaned.get("certificate_date"), record=self.record,
            )
        except Refused as refused:
            raise ValidationError(refused.reason) from refused
        cleaned["vehicle_id"] = vehicle.pk
        return cleaned


@registry.register
class CsaProcedure(VehicleProcedure):
    code = CSA_ON_DEMAND
    label = "Certificat de situation administrative (non-gage)"
    description = (
        "Vous vendez ou achetez un véhicule d'occasion : obtenez aussitôt, gratuitement, son certificat de situation "
        "administrative (gage, opposition, vol, immobilisation), à remettre à l'acquéreur lors de la vente (il doit "
        "dater de moins de 15 jours). Il vous faut le numéro d'immatriculation, le numéro de formule de la carte "
        "grise et le nom du titulaire tel qu'il y est inscrit."
    )
    order = 15
    filers = (Filer.CITIZEN, Filer.MEDIATEUR, PRO_AUTO)
    steps = (Step("vehicule", "Le véhicule", CsaRequestForm),)
    outputs = {"issue": (CSA,)}
    # Issued at submission: nothing for the CERT to decide.
    completed_on_submit = True
    expected_days = 1

    def summary_lines(self, application):
        lines = self.vehicle_line(application)
        data = application.data.get("vehicule") or {}
        if data.get("family_name"):
            lines.append(("Titulaire indiqué", f"{data['family_name']} {data.get('given_names', '')}".strip()))
        return lines

    def status_summary(self, application):
        if application.status != Status.DELIVERED or application.submitted_at is None:
            return None
        return StatusSummary(
            "Certificat délivré",
            "Le certificat de situation administrative est prêt dans les documents ci-dessous. Il décrit le véhicule "
            f"au registre le {french_date(application.submitted_at)} ; pour une vente, il doit dater de moins de "
            "15 jours.",
            "",
            "success",
        )

