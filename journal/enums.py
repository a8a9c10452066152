from django.db import models

# An act on a file is journaled as `file.<event kind>` with its French words in the payload (`label`), taken
# when it was done: the journal stays below the apps that define the kinds.
FILE_PREFIX = "file."


class Action(models.TextChoices):
    """The acts the journal records besides the acts on a file, with their French words."""

    MANDATE_CREATED = "mandate.created", "Mandat demandé ou déclaré"
    MANDATE_CONFIRMED = "mandate.confirmed", "Mandat confirmé"
    MANDATE_ATTACHED = "mandate.attached", "Demande de mandat rattachée au compte créé avec l'adresse invitée"
    MANDATE_REFUSED = "mandate.refused", "Mandat refusé"
    MANDATE_REVOKED = "mandate.revoked", "Mandat révoqué"
    SESSION_OPENED = "assisted_session.opened", "Séance d'accompagnement ouverte (code de consentement envoyé)"
    SESSION_CONSENTED = "assisted_session.consented", "Séance d'accompagnement acceptée (code de consentement saisi)"
    SESSION_ENDED = "assisted_session.ended", "Séance d'accompagnement terminée"
    ACCOUNT_CREATED_FOR = "account.created_for", "Compte ouvert pour la personne"
    ORGANISATION_VALIDATED = "organisation.validated", "Agrément ou habilitation de l'organisation validé"
    API_KEY_CREATED = "api_key.created", "Clé d'API créée"
    API_KEY_REVOKED = "api_key.revoked", "Clé d'API révoquée"
    API_WRITE = "api.write", "Acte fait par l'API avec une clé de l'organisation"
    WEBHOOK_CREATED = "webhook.created", "Adresse de webhook enregistrée"
    WEBHOOK_DISABLED = "webhook.disabled", "Adresse de webhook supprimée"
    WEBHOOK_REPLAYED = "webhook.replayed", "Livraison de webhook rejouée"


def action_label(action, payload=None):
    """Return the French words for an action."""
    if action.startswith(FILE_PREFIX):
        return (payload or {}).get("label") or "Acte sur le dossier"
    return Action(action).label if action in Action.values else action


ROLE_LABELS = {
    "applicant": "la personne elle-même",
    "filer": "professionnel mandaté",
    "mediateur": "médiateur numérique",
    "agent": "agent instructeur",
    "system": "le portail",
    "admin": "administrateur",
}
