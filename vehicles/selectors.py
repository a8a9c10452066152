"""Reads of the vehicle register that span the engine's files: the deadlines a person has (shown in « Mes
véhicules », reminded by e-mail) and the vehicles a person is buying."""

import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from titles.enums import DocumentStatus
from titles.models import Application, GeneratedDocument
from titles.workflow import FINAL_STATUSES
from vehicles.deadlines import cession_deadline, changement_adresse_deadline, changement_titulaire_deadline
from vehicles.enums import CESSION, CHANGEMENT_ADRESSE
from vehicles.models import Cession

FINE_ADVICE = "Passé ce délai, vous vous exposez à une amende de 135 €."


@dataclass(frozen=True)
class Deadline:
    what: str  # "dernier jour pour déclarer la cession du véhicule AB-123-CD"
    deadline: datetime.date
    url: str
    key: str
    recipients: tuple = ()
    advice: str = FINE_ADVICE

    @property
    def passed(self):
        return self.deadline < timezone.localdate()

    @property
    def days_left(self):
        return (self.deadline - timezone.localdate()).days


def _draft_url(application):
    return reverse("titles:recap", kwargs={"reference": application.reference})


def deadlines(*, user=None, now=None):
    """Return the deadlines of the register, for one user (their space) or for everyone (the reminders)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    items = []
    drafts = Application.objects.drafts().filter(procedure_code__in=(CESSION, CHANGEMENT_ADRESSE)).select_related(
        "applicant")
    cessions = Cession.objects.code_valid(now).select_related("vehicle", "application__applicant")
    cpis = GeneratedDocument.objects.filter(kind="cpi", status=DocumentStatus.READY, valid_until__gte=today,
                                            revoked_at__isnull=True).exclude(
        application__status__in=FINAL_STATUSES).select_related("application__applicant")
    if user is not None:
        drafts = drafts.filter(applicant=user)
        cessions = cessions.filter(application__applicant=user) | cessions.filter(buyer_email__iexact=user.email)
        cpis = cpis.filter(application__applicant=user)
    for application in drafts:
        plate = (application.data.get("vehicule") or {}).get("registration_number", "")
        vehicle = f" du véhicule {plate}" if plate else ""
        if application.procedure_code == CESSION and (application.data.get("cession") or {}).get("sold_on"):
            sold_on = datetime.date.fromisoformat(application.data["cession"]["sold_on"])
            items.append(Deadline(f"dernier jour pour déclarer la cession{vehicle}", cession_deadline(sold_on),
                                  _draft_url(application), f"cession-draft:{application.pk}",
                                  (application.applicant,)))
        elif application.procedure_code == CHANGEMENT_ADRESSE and (application.data.get("adresse") or {}).get(
                "moved_on"):
            moved_on = datetime.date.fromisoformat(application.data["adresse"]["moved_on"])
            items.append(Deadline(f"dernier jour pour déclarer votre nouvelle adresse{vehicle}",
                                  changement_adresse_deadline(moved_on), _draft_url(application),
                                  f"adresse-draft:{application.pk}", (application.applicant,)))
    for cession in cessions.distinct():
        plate = cession.vehicle.registration_number
        recipients = ()
        if user is None:  # the reminders: the buyer (when they have an account) and the seller
            buyer = get_user_model().objects.filter(email__iexact=cession.buyer_email).first() if \
                cession.buyer_email else None
            recipients = tuple(filter(None, [buyer, cession.application.applicant]))
        items.append(Deadline(
            f"dernier jour pour faire le changement de titulaire du véhicule {plate}",
            changement_titulaire_deadline(cession.sold_at),
            f"{reverse('vehicles:acquisition')}?immatriculation={plate}", f"titulaire:{cession.pk}", recipients,
        ))
        items.append(Deadline(
            f"fin de validité du code de cession du véhicule {plate}", timezone.localdate(cession.code_expires_at),
            reverse("vehicles:my_vehicles"), f"code:{cession.pk}", recipients,
            advice="Ensuite, le vendeur devra déclarer à nouveau la cession pour obtenir un nouveau code.",
        ))
    for document in cpis:
        reference = document.application.reference
        items.append(Deadline(
            f"fin de validité de votre certificat provisoire d'immatriculation (dossier {reference})",
            document.valid_until, reverse("titles:detail", kwargs={"reference": reference}), f"cpi:{document.pk}",
            (document.application.applicant,),
            advice="Si votre carte grise ne vous est pas parvenue d'ici là, écrivez au centre d'instruction depuis "
                   "votre dossier.",
        ))
    return sorted(items, key=lambda item: item.deadline)


def cessions_to_buy(user):
    """Return the open cessions (code still valid) whose declared buyer e-mail is this user's."""
    return Cession.objects.code_valid().filter(buyer_email__iexact=user.email).select_related("vehicle")
