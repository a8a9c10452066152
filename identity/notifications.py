"""The pré-demande's e-mails, one class each. Like the engine's, an e-mail is an OutgoingEmail row written in the
transaction of the action that causes it (idempotent on its key), sent after commit by
`notifications.tasks.send_email`.
Templates: templates/emails/identity/<template>.txt and .html."""

from django.conf import settings
from django.urls import reverse

from titles import notifications


def pre_demande_url(application):
    return settings.SITE_URL + reverse("identity:pre_demande", kwargs={"reference": application.reference})


class IdentityEmail:
    template = ""
    subject = ""

    def __init__(self, **context):
        self.context = context

    def send(self, *, key, application):
        """Write the e-mail to the applicant (once per key) and send it after commit; return the row or None."""
        context = {"application": application, "applicant": application.applicant,
                   "url": pre_demande_url(application), **self.context}
        return notifications.send(key, to=application.applicant.email, template=f"emails/identity/{self.template}",
                                  subject=self.subject, context=context, application=application)


class PreDemandeNumber(IdentityEmail):
    """At submission: the numéro de pré-demande, and the next step (the appointment at an equipped mairie)."""

    template = "pre_demande_number"
    subject = "Votre numéro de pré-demande {number} : prenez rendez-vous en mairie"


class AppointmentConfirmed(IdentityEmail):
    """The appointment booked (or moved): where, when, and the pièces to bring."""

    template = "appointment_confirmed"
    subject = "Votre rendez-vous en mairie le {when} (pré-demande {number})"


class AppointmentCancelled(IdentityEmail):
    template = "appointment_cancelled"
    subject = "Votre rendez-vous en mairie du {when} est annulé"


class Deposited(IdentityEmail):
    """The mairie registered the application: it goes to the CERT for instruction."""

    template = "deposited"
    subject = "Votre demande de {title_label} est enregistrée en mairie"
