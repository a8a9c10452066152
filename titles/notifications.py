"""One e-mail per event the citizen should hear about. An e-mail is an outbox row (`notifications.OutgoingEmail`)
written in the event's transaction; `notifications.tasks.send_email` sends it after commit."""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from notifications import outbox

# Event kind -> (template, subject). Events not listed here send nothing.
EMAILS = {
    "submit": ("submitted", "Votre demande {reference} est enregistrée"),
    "take": ("in_review", "Votre demande {reference} est en cours d'instruction"),
    "request_info": ("needs_info", "Votre demande {reference} : un complément est nécessaire"),
    "accept": ("accepted", "Votre demande {reference} est acceptée"),
    "reject": ("rejected", "Votre demande {reference} est refusée"),
    "close": ("rejected", "Votre demande {reference} est close"),
    "produce": ("produced", "Votre titre ({reference}) est fabriqué"),
    "send": ("sent", "Votre titre ({reference}) est expédié"),
    "deliver": ("delivered", "Votre titre ({reference}) est remis"),
    "issue": ("issued", "Votre document ({reference}) est délivré"),
    "withdraw": ("withdrawn", "Votre demande {reference} est retirée"),
    "message": ("message", "Nouveau message sur votre demande {reference}"),
}


def application_url(application):
    return settings.SITE_URL + reverse("titles:detail", kwargs={"reference": application.reference})


def assisted_session_end_url(token):
    """Return the link of the consent e-mail with which the citizen ends an assisted session."""
    return settings.SITE_URL + reverse("titles:end_assisted_session_link", kwargs={"token": token})


def build(key, *, to, template, subject, context, application=None):
    """Render and store an e-mail (idempotent on `key`), about `application` if given; return the row, or None if
    it already existed."""
    context = {"site_url": settings.SITE_URL, "site_title": settings.PORTAL_SITE_TITLE, **context}
    # "submitted" means emails/titles/submitted.*; a title app passes its own path, e.g. "emails/licences/x".
    path = template if "/" in template else f"emails/titles/{template}"
    return outbox.write(
        key,
        to=to,
        subject=subject,
        body_text=render_to_string(f"{path}.txt", context),
        body_html=render_to_string(f"{path}.html", context),
        reference=application.reference if application is not None else "",
    )


def send(key, *, to, template, subject, context, application=None):
    """Store an e-mail (idempotent on `key`) and send it once the transaction commits; return the new row or None.

    `subject` may use the context's names (`"… {registration_number}"`)."""
    if not to:
        return None
    full = {"site_url": settings.SITE_URL, "site_title": settings.PORTAL_SITE_TITLE, **context}
    email = build(key, to=to, template=template, subject=subject.format(**full), context=full,
                  application=application)
    outbox.queue_email(email)
    return email


def for_event(event):
    """Return the e-mail an event causes (already saved), or None."""
    if event.kind not in EMAILS:
        return None
    template, subject = EMAILS[event.kind]
    application = event.application
    context = {
        "application": application,
        "applicant": application.applicant,
        "event": event,
        "reason": event.payload.get("reason", ""),
        "url": application_url(application),
        "procedure_label": application.procedure_label,
        # How the file was paid, and the card refunds a way out has asked (refund_card_payments, just before).
        "payments": list(application.payments.all()),
    }
    return build(
        f"event:{event.pk}",
        to=application.applicant.email,
        template=template,
        subject=subject.format(reference=application.reference),
        context=context,
        application=application,
    )
