"""The write path of the vehicles app that is neither the register nor an attempt: the facts a file's first step
records (its vehicle, the cession it takes up), the drafts opened for a vehicle, the e-mail telling a citizen what
a professional filed for them, and the deadline reminders.

The register itself (cessions, transfers, addresses, duplicatas, certificates, each with its undo) is
`vehicles.register`; proving ownership and checking a code de cession, with their lockouts, `vehicles.attempts`.
"""

import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core.formats import french_date
from titles import services as titles_services
from vehicles import notifications, selectors
from vehicles.enums import REMIND_BEFORE
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
