"""The licence e-mails the engine does not send itself (it already writes one per transition to the applicant).

Each is an `OutgoingEmail` row written in the caller's transaction and sent after commit by
`notifications.tasks.send_email`.
"""

from django.conf import settings
from django.urls import reverse

from titles import notifications


class LicenceEmail:
    template = ""
    subject = ""

    @classmethod
    def queue(cls, *, key, to, application=None, **context):
        """Store the e-mail (idempotent on `key`) and send it once the transaction commits."""
        return notifications.send(key, to=to, template=f"emails/licences/{cls.template}", subject=cls.subject,
                                  context=context, application=application)


def absolute(path):
    return settings.SITE_URL + path


class MandateRequest(LicenceEmail):
    """To the student: the school asks for a mandate (or declares a paper one over her account); one click confirms
    (and sets a password if needed)."""

    template = "mandate_request"
    subject = "{school} vous demande un mandat pour vos démarches de permis de conduire"

    @classmethod
    def send(cls, mandate, *, labels, needs_password, paper=False):
        """`paper`: the school declared a paper mandate over an existing account; it takes effect only once the
        holder confirms it here."""
        return cls.queue(
            key=f"licences-mandate-request:{mandate.pk}", to=mandate.citizen.email, school=mandate.organisation.name,
            student=mandate.citizen, labels=labels, needs_password=needs_password, valid_until=mandate.valid_until,
            paper=paper, url=absolute(reverse("licences:student_mandate", kwargs={"token": mandate.token})),
            space_url=absolute(reverse("titles:dashboard")),
        )


class PaperMandateDeclared(LicenceEmail):
    """To the student: the school declared a paper mandate; they will hear of every step."""

    template = "mandate_paper"
    subject = "{school} déclare détenir votre mandat papier pour le permis de conduire"

    @classmethod
    def send(cls, mandate, *, labels):
        return cls.queue(
            key=f"licences-mandate-paper:{mandate.pk}", to=mandate.citizen.email, school=mandate.organisation.name,
            student=mandate.citizen, labels=labels, valid_until=mandate.valid_until,
            contact_url=absolute(reverse("help")),
        )


class TransferRequest(LicenceEmail):
    """To the student: another school asks to take over their file."""

    template = "transfer_request"
    subject = "{new_school} demande à reprendre votre dossier {reference}"

    @classmethod
    def send(cls, transfer):
        application = transfer.application
        return cls.queue(
            key=f"licences-transfer-request:{transfer.pk}", to=application.applicant.email, application=application,
            reference=application.reference, student=application.applicant,
            procedure_label=application.procedure_label, old_school=transfer.from_organisation.name,
            new_school=transfer.to_organisation.name,
            url=absolute(reverse("licences:transfer_confirm", kwargs={"token": transfer.token})),
        )


class TransferDone(LicenceEmail):
    """To the student: their file now belongs to the new school (or stays, if they refused)."""

    template = "transfer_done"
    subject = "Votre dossier {reference} : transfert {outcome}"

    @classmethod
    def send(cls, transfer):
        application = transfer.application
        return cls.queue(
            key=f"licences-transfer-done:{transfer.pk}", to=application.applicant.email, application=application,
            reference=application.reference, student=application.applicant,
            procedure_label=application.procedure_label, old_school=transfer.from_organisation.name,
            new_school=transfer.to_organisation.name, confirmed=transfer.confirmed_at is not None,
            outcome="effectué" if transfer.confirmed_at else "refusé",
            url=absolute(reverse("titles:detail", kwargs={"reference": application.reference})),
        )
