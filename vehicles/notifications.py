"""The vehicle register's e-mails, one class each. Like the engine's, an e-mail is an OutgoingEmail row written in
the transaction of the action that causes it (idempotent on its key), sent after commit by
`notifications.tasks.send_email`. Templates: templates/emails/vehicles/<template>.txt and .html."""

from django.conf import settings
from django.urls import reverse

from titles import notifications


def absolute(path):
    return settings.SITE_URL + path


class VehicleEmail:
    template = ""
    subject = ""

    def __init__(self, **context):
        self.context = context

    def send(self, *, key, to, application=None):
        """Write the e-mail (once per key) and send it after commit; return the row, or None if it existed."""
        return notifications.send(key, to=to, template=f"emails/vehicles/{self.template}", subject=self.subject,
                                  context=self.context, application=application)


class BuyerInvitation(VehicleEmail):
    """To the buyer the seller declared, with a link that opens their changement de titulaire."""

    template = "buyer_invitation"
    subject = "Le véhicule {registration_number} vous a été cédé : faites le changement de titulaire"


class BuyerCompleted(VehicleEmail):
    """To the seller: the buyer registered the vehicle in their name with the code de cession."""

    template = "buyer_completed"
    subject = "Le changement de titulaire du véhicule {registration_number} est enregistré"


class CodeLockout(VehicleEmail):
    """To the seller: too many wrong codes de cession were typed for their vehicle."""

    template = "code_lockout"
    subject = "Sécurité : des codes de cession erronés ont été saisis pour le véhicule {registration_number}"


class FiledByProfessional(VehicleEmail):
    """To the client of a professional: what was filed in their name, and how to object."""

    template = "filed_by_professional"
    subject = "{organisation} a déposé une démarche en votre nom : {procedure_label}"


class DeadlineReminder(VehicleEmail):
    """Before a legal deadline or a validity ends: what to do, by when, where."""

    template = "deadline_reminder"
    subject = "Rappel — {deadline_display} : {what}"


class MandateRequest(VehicleEmail):
    """To a professional's client: it asks for a mandate; one click (signed in) confirms it."""

    template = "mandate_request"
    subject = "{organisation} vous demande un mandat pour vos démarches de carte grise"


class MandateInvitation(VehicleEmail):
    """To an address without an account that a professional asked a mandate of: create the account (or sign in
    with FranceConnect) with this address, then confirm; the request waits on the new account's space."""

    template = "mandate_invitation"
    subject = "{organisation} vous demande un mandat pour vos démarches de carte grise"


def my_vehicles_url():
    return absolute(reverse("vehicles:my_vehicles"))


def acquisition_url(registration_number):
    return absolute(reverse("vehicles:acquisition") + f"?immatriculation={registration_number.replace(' ', '+')}")
