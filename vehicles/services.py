"""The write path of the vehicles app that is neither the register nor an attempt: the facts a file's first step
records (its vehicle, the cession it takes up), the drafts opened for a vehicle, the e-mail telling a citizen what
a professional filed for them, and the deadline reminders.

The register itself (cessions, transfers, addresses, duplicatas, certificates, each with its undo) is
`vehicles.register`; proving ownership and checking a code de cession, with their lockouts, `vehicles.attempts`.
"""

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core.dates import add_months
from core.exceptions import Refused
from core.formats import french_date
from journal.enums import Action
from titles import services as titles_services
from titles.enums import ConsentMethod
from titles.models import Mandate
from titles.registry import registry
from vehicles import notifications, selectors
from vehicles.enums import PRO_AUTO, PROCEDURE_CODES, REMIND_BEFORE
from vehicles.models import Cession, Vehicle, VehicleFile


def record_vehicle(application, *, vehicle_id, cession_id=None):
    """Record the vehicle (and the cession taken up) a file's first step established, replacing what an earlier
    save of that step recorded; inside the caller's transaction (`titles.services.save_step`)."""
    return VehicleFile.objects.update_or_create(
        application=application, defaults={"vehicle_id": vehicle_id, "cession_id": cession_id,
                                           "recorded_at": timezone.now()},
    )[0]


def vehicle_of(application):
    """Return the vehicle an application is about (recorded by its first step), or None."""
    return Vehicle.objects.filter(files__application=application).first()


def cession_of(application):
    """Return the cession a changement de titulaire takes up (recorded by its first step), or None."""
    return Cession.objects.select_related("vehicle", "application__applicant").filter(
        buyer_files__application=application).first()


@transaction.atomic
def start_for_vehicle(procedure, vehicle, *, user):
    """Open a draft of `procedure` for a vehicle `user` holds, the plate and their name filled in (not the formule:
    typing it is the proof)."""
    application = titles_services.create_draft(procedure, applicant=user, filed_by=user)
    owner = {**application.data.get("vehicule", {}), "registration_number": vehicle.registration_number}
    titles_services.save_step(application, "vehicule", owner)
    return application


@transaction.atomic
def start_acquisition(procedure, *, user, registration_number=""):
    """Open the buyer's changement de titulaire, the plate filled in (from the seller's invitation)."""
    application = titles_services.create_draft(procedure, applicant=user, filed_by=user)
    if registration_number:
        titles_services.save_step(application, "vehicule", {"registration_number": registration_number})
    return application


def notify_client_of_professional(application):
    """Tell the citizen what a professional filed in their name, with a way to object (their mandates)."""
    if not application.organisation_id:
        return
    vehicle = vehicle_of(application)
    notifications.FiledByProfessional(
        applicant=application.applicant, organisation=application.organisation.name,
        filer=application.filed_by.get_full_name(), procedure_label=application.procedure_label,
        reference=application.reference, registration_number=vehicle.registration_number if vehicle else "",
        url=notifications.absolute(reverse("titles:detail", kwargs={"reference": application.reference})),
        mandates_url=notifications.absolute(reverse("titles:mandates")),
    ).send(key=f"vehicles:pro-filed:{application.pk}", to=application.applicant.email, application=application)


# --- Deadlines -------------------------------------------------------------------------------------------------


def send_deadline_reminders(now=None):
    """E-mail each person concerned once, REMIND_BEFORE a deadline (idempotent: one e-mail per deadline and
    person, whatever how often it runs). Return the number of e-mails written."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    horizon = today + datetime.timedelta(days=REMIND_BEFORE.days)
    sent = 0
    for item in selectors.deadlines(now=now):
        if not today <= item.deadline <= horizon:
            continue
        for person in item.recipients:
            with transaction.atomic():
                email = notifications.DeadlineReminder(
                    person=person, what=item.what, deadline=item.deadline, advice=item.advice,
                    deadline_display=french_date(item.deadline), url=notifications.absolute(item.url),
                ).send(key=f"vehicles:reminder:{item.key}:{person.pk}", to=person.email)
            sent += email is not None
    return sent


# --- Mandates a professional asks for ------------------------------------------------------------------------------


class MandateRequestRefused(Refused):
    """A mandate a professional may not ask for; `reason` is the French message."""


def mandate_procedures():
    """The vehicle procedures a professionnel de l'automobile may file under a mandate."""
    procedures = [registry.get(code) for code in PROCEDURE_CODES if code in registry]
    return [procedure for procedure in procedures if PRO_AUTO in procedure.filers]


@transaction.atomic(durable=True)
def request_mandate(organisation, *, staff, email, given_names, family_name, procedures, months):
    """Ask a client for a mandate over `procedures`, for `months`: the mandate waits for the client's confirmation
    on the web (`titles:confirm_mandate`, from the e-mail or their space) and opens nothing before it; until then
    the professional sees only the name it typed (`Mandate.declared_name`). Used by the pro space's page and the
    API. Raise MandateRequestRefused when the organisation is not habilitated. The answer is the same whether or
    not an account has this address, so that it does not tell the professional: without one, the mandate waits
    for it (`Mandate.invited_email`) and the person gets an invitation to create it, then to confirm
    (titles/invitations.py attaches the request to the account once its address is verified). Return the
    mandate."""
    if not organisation.is_validated:
        raise MandateRequestRefused("not-habilitated", "L'habilitation de votre entreprise n'est pas encore validée "
                                                       "par la préfecture : vous ne pouvez pas encore demander de "
                                                       "mandat.")
    address = email.strip()
    client = get_user_model().objects.filter(email__iexact=address, is_active=True).first()
    now = timezone.now()
    mandate = Mandate.objects.create(
        citizen=client, invited_email="" if client else address.lower(), organisation=organisation,
        procedures=list(procedures), consent_method=ConsentMethod.ELECTRONIC, valid_from=now,
        valid_until=add_months(now, months), created_by=staff, declared_name=f"{given_names} {family_name}".strip(),
    )
    titles_services.journal_mandate(Action.MANDATE_CREATED, mandate, actor=staff, in_force=False,
                                    invitation=client is None)
    context = {
        "organisation": organisation.name, "valid_until": mandate.valid_until,
        "labels": [registry.get(code).label for code in procedures if code in registry],
        "url": notifications.absolute(reverse("titles:confirm_mandate", kwargs={"token": mandate.token})),
        "mandates_url": notifications.absolute(reverse("titles:mandates")),
    }
    if client is not None:
        notifications.MandateRequest(client=client, **context).send(key=f"vehicles:mandate-request:{mandate.pk}",
                                                                    to=client.email)
    else:
        notifications.MandateInvitation(
            declared_name=mandate.declared_name, email=mandate.invited_email,
            signup_url=notifications.absolute(reverse("accounts:signup")),
            franceconnect_url=notifications.absolute(reverse("accounts:login")), **context,
        ).send(key=f"vehicles:mandate-invitation:{mandate.pk}", to=mandate.invited_email)
    return mandate
