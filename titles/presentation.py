"""What the citizen reads about a file: the status in words, the reason, what is expected and from whom."""

from dataclasses import dataclass

from django.urls import reverse

from core.formats import french_date
from titles.enums import DOCUMENTS_STEP, PAYMENT_STEP, PaymentMethod
from titles.registry import registry
from titles.workflow import Status


@dataclass(frozen=True)
class StatusSummary:
    label: str
    detail: str
    waiting_for: str  # "vous", "le CERT de Nîmes", "" when nothing is expected
    tone: str  # DSFR badge: info, success, warning, error, new


def status_summary(application):
    """Return what the citizen reads about the file's status; a procedure may word its own."""
    procedure = registry.get(application.procedure_code) if application.procedure_code in registry else None
    override = procedure.status_summary(application) if procedure else None
    return override or _engine_summary(application)


def _engine_summary(application):
    cert = application.cert.name if application.cert_id else "le centre d'instruction"
    expected = (
        f" Décision prévue vers le {french_date(application.expected_decision_at)}."
        if application.expected_decision_at
        else ""
    )
    status = application.status
    if status == Status.DRAFT:
        return StatusSummary(
            "Brouillon", "Votre demande n'est pas encore déposée : reprenez-la pour la terminer.", "vous", "new"
        )
    if status == Status.SUBMITTED:
        return StatusSummary("Déposé", f"En attente de prise en charge par {cert}.{expected}", cert, "info")
    if status == Status.IN_REVIEW:
        return StatusSummary("En cours d'instruction", f"En cours d'instruction par {cert}.{expected}", cert, "info")
    if status == Status.NEEDS_INFO:
        note = application.status_note or "compléter votre dossier"
        return StatusSummary("En attente de votre part", f"En attente de votre part : {note}", "vous", "warning")
    if status == Status.ACCEPTED:
        return StatusSummary(
            "Accepté",
            "Votre demande est acceptée. Le titre est en cours de fabrication.",
            "l'imprimerie nationale",
            "success",
        )
    if status == Status.PRODUCED:
        return StatusSummary(
            "Titre fabriqué", "Votre titre est fabriqué : il va vous être expédié.", "La Poste", "success"
        )
    if status == Status.SENT:
        return StatusSummary("Titre expédié", "Votre titre vous est envoyé par courrier suivi.", "La Poste", "success")
    if status == Status.DELIVERED:
        return StatusSummary("Titre remis", "Votre titre vous a été remis.", "", "success")
    if status == Status.REJECTED:
        reason = application.decision_reason or "aucun motif précisé"
        return StatusSummary("Refusé", f"Votre demande est refusée. Motif : {reason}", "", "error")
    return StatusSummary("Retiré", "Vous avez retiré cette demande.", "", "info")


@dataclass(frozen=True)
class WizardStep:
    slug: str
    label: str
    kind: str  # form, documents, payment, recap
    url: str
    next_url: str | None = None


def wizard_steps(application):
    """Return the steps of the draft's wizard: the procedure's forms, documents, payment, recap."""
    procedure = application.procedure
    ref = application.reference
    raw = [
        (s.slug, s.label, "form", reverse("titles:step", kwargs={"reference": ref, "slug": s.slug}))
        for s in procedure.steps
    ]
    if procedure.documents:
        raw.append(
            (DOCUMENTS_STEP, "Pièces justificatives", "documents",
             reverse("titles:documents", kwargs={"reference": ref}))
        )
    payment_url = reverse("titles:payment", kwargs={"reference": ref})
    recap_url = reverse("titles:recap", kwargs={"reference": ref})
    paying = procedure.fee_total(application) or procedure.fee_pending(application)
    if paying and procedure.payment == PaymentMethod.CARD:
        # Paid by card at the very end: the last step pays and submits in one act.
        raw.append(("recapitulatif", "Vérification de la demande", "recap", recap_url))
        raw.append((PAYMENT_STEP, "Paiement et dépôt", "payment", payment_url))
    else:
        if paying:
            raw.append((PAYMENT_STEP, "Paiement du timbre fiscal", "payment", payment_url))
        raw.append(("recapitulatif", "Vérification et dépôt", "recap", recap_url))
    return [
        WizardStep(slug, label, kind, url, raw[i + 1][3] if i + 1 < len(raw) else None)
        for i, (slug, label, kind, url) in enumerate(raw)
    ]


EVENT_LABELS = {
    "submit": "Demande déposée",
    "take": "Prise en charge par {organisation}",
    "request_info": "Complément demandé : {reason}",
    "answer": "Réponse envoyée",
    "accept": "Demande acceptée",
    "reject": "Demande refusée : {reason}",
    "close": "Dossier clos : {reason}",
    "produce": "Titre fabriqué",
    "send": "Titre expédié{tracking}",
    "deliver": "Titre remis",
    "issue": "Document délivré",
    "withdraw": "Demande retirée",
    "message": "Message",
    "step_saved": "Étape du formulaire enregistrée",
    "document_added": "Pièce justificative ajoutée",
    "payment": "Timbre fiscal enregistré",
    "card_payment": "Taxes payées par carte bancaire",
    "card_refund": "Remboursé sur votre carte bancaire",
    "document_issued": "Document produit",
    "annotation": "Annotation",
}


def describe_event(event, procedure=None):
    """Return the French line a timeline shows for an event, naming who acted for whom."""
    text = event_words(event, procedure)
    if event.actor_id and event.actor_role not in ("applicant", "system", ""):
        text += f" — par {event.actor.get_full_name()}"
        if event.organisation_id and event.kind != "take":
            text += f" ({event.organisation.name})"
    return text


def event_words(event, procedure=None):
    """Return what an event says happened, without who did it (the journal names them apart)."""
    labels = {**EVENT_LABELS, **(getattr(procedure, "event_labels", None) or {})}
    payload = event.payload or {}
    return labels.get(event.kind, event.kind).format(
        organisation=event.organisation.name if event.organisation_id else "le centre d'instruction",
        reason=payload.get("reason", ""),
        tracking=f" (suivi : {payload['tracking']})" if payload.get("tracking") else "",
    )
