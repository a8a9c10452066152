"""The CERT back office's forms: the queue's filters, bulk actions, each transition's form, annotations.

A transition's form says what it passes to `apply_transition` (`transition_kwargs`): the view stays the same
for every action.
"""

import datetime
import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from dsfr.forms import DsfrBaseForm

from titles import forms as titles_forms
from titles.enums import InfoRequestReason
from titles.registry import registry
from titles.workflow import PENDING_STATUSES, Status


def sort_key(label):
    """Sort French labels as a reader expects: « Échange » with the E's, not after the Z's."""
    return unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode().casefold()


AGE_CHOICES = [("", "Tous"), ("7", "Plus de 7 jours"), ("15", "Plus de 15 jours"), ("30", "Plus de 30 jours")]
PENDING = ""


class QueueFilterForm(DsfrBaseForm):
    """The queue's filters (GET). Without a status, the queue shows the files waiting for a decision."""

    procedure = forms.ChoiceField(label="Démarche", required=False)
    status = forms.ChoiceField(label="État", required=False)
    age = forms.TypedChoiceField(
        label="Ancienneté du dépôt", required=False, choices=AGE_CHOICES, coerce=int, empty_value=None
    )
    cert = forms.TypedChoiceField(label="CERT", required=False, coerce=int, empty_value=None)
    mine = forms.BooleanField(label="Seulement les dossiers dont j'ai la charge", required=False)

    def __init__(self, *args, certs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["procedure"].choices = [("", "Toutes")] + sorted(
            ((p.code, p.label) for p in registry.all()), key=lambda choice: sort_key(choice[1])
        )
        self.fields["status"].choices = [(PENDING, "En attente de décision")] + [
            (status.value, status.label) for status in Status if status != Status.DRAFT
        ]
        self.fields["cert"].choices = [("", "Tous mes CERT")] + [(cert.pk, cert.name) for cert in certs]
        if len(certs) < 2:
            del self.fields["cert"]

    def apply(self, files, *, user, now):
        """Return `files` narrowed by the valid filters (the invalid ones are ignored and shown in error)."""
        data = getattr(self, "cleaned_data", {})
        status = data.get("status") or PENDING
        files = files.filter(status__in=PENDING_STATUSES) if status == PENDING else files.filter(status=status)
        if data.get("procedure"):
            files = files.filter(procedure_code=data["procedure"])
        if data.get("age"):
            files = files.filter(submitted_at__lte=now - datetime.timedelta(days=data["age"]))
        if data.get("cert"):
            files = files.filter(cert_id=data["cert"])
        if data.get("mine"):
            files = files.filter(assigned_to=user)
        return files


class BulkActionForm(DsfrBaseForm):
    """Take several files, or ask the same information of several: one transition per file."""

    ACTIONS = {"take": "Prendre en charge", "request_info": "Demander un complément"}

    action = forms.ChoiceField(choices=list(ACTIONS.items()))
    dossiers = forms.ModelMultipleChoiceField(
        queryset=None,
        to_field_name="reference",
        error_messages={
            "required": "Cochez au moins un dossier.",
            "invalid_choice": "Un des dossiers cochés n'est plus dans votre file : rechargez la page.",
        },
    )
    reason = forms.ChoiceField(
        label="Motif", choices=[("", "Choisir un motif")] + InfoRequestReason.choices, required=False
    )
    message = forms.CharField(
        label="Ce qui est attendu de chaque demandeur",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
    )

    def __init__(self, *args, files, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dossiers"].queryset = files

    def clean(self):
        data = super().clean()
        if data.get("action") == "request_info":
            if not data.get("reason"):
                self.add_error("reason", "Choisissez le motif de la demande de complément.")
            if not (data.get("message") or "").strip():
                self.add_error("message", "Indiquez ce qui est attendu : le message est envoyé à chaque demandeur.")
        return data

    def transition_kwargs(self):
        if self.cleaned_data["action"] == "request_info":
            return {"reason": self.cleaned_data["message"], "payload": {"reason_code": self.cleaned_data["reason"]}}
        return {}


class ConfirmForm(DsfrBaseForm):
    """A transition with nothing to say: the button and its CSRF token."""

    def transition_kwargs(self):
        return {}


class InfoRequestForm(titles_forms.InfoRequestForm):
    def transition_kwargs(self):
        return {"reason": self.cleaned_data["message"], "payload": {"reason_code": self.cleaned_data["reason"]}}


class AcceptForm(titles_forms.DecisionForm):
    reason = forms.CharField(
        label="Observation communiquée au demandeur",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
    )

    def transition_kwargs(self):
        return {"reason": self.cleaned_data["reason"]}


class RejectForm(titles_forms.DecisionForm):
    reason = forms.CharField(
        label="Motif du refus (communiqué au demandeur)",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": "Indiquez le motif du refus."},
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError("Indiquez le motif du refus.")
        return reason

    def transition_kwargs(self):
        return {"reason": self.cleaned_data["reason"]}


class SendForm(DsfrBaseForm):
    tracking = forms.CharField(
        label="Numéro de suivi de l'envoi",
        max_length=40,
        help_text="Le numéro du courrier suivi, communiqué au demandeur.",
    )

    def transition_kwargs(self):
        return {"payload": {"tracking": self.cleaned_data["tracking"].strip()}}


# The transitions an agent makes from a file's page, with their form.
TRANSITION_FORMS = {
    "take": ConfirmForm,
    "request_info": InfoRequestForm,
    "accept": AcceptForm,
    "reject": RejectForm,
    "produce": ConfirmForm,
    "send": SendForm,
    "deliver": ConfirmForm,
}


class AnnotationForm(DsfrBaseForm):
    body = forms.CharField(
        label="Note privée (visible des seuls agents)", widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )


class AgentMessageForm(titles_forms.MessageForm):
    body = forms.CharField(label="Message au demandeur", widget=forms.Textarea(attrs={"rows": 4}), max_length=5000)
    attachment = titles_forms.CheckedFileField(label="Pièce jointe", required=False)
