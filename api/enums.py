from django.db import models

from licences.enums import AUTO_ECOLE
from vehicles.enums import PRO_AUTO


class Scope(models.TextChoices):
    """What an API key may do. Reading a file's metadata needs `read`; acting on a file (drafts, steps, payment,
    submission, answers, enrolment) needs `file`; sending or downloading a document's content needs `documents`."""

    READ = "read", "Lecture des dossiers, mandats et messages"
    FILE = "file", "Dépôt et suivi des démarches"
    DOCUMENTS = "documents", "Envoi et téléchargement des documents"


# The visible start of a key, by organisation kind: `garage-api-…`, `autoecole-api-…`.
KEY_LABELS = {PRO_AUTO: "garage", AUTO_ECOLE: "autoecole"}


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "En attente"
    DELIVERED = "delivered", "Livrée"
    FAILED = "failed", "Échouée"


# What an endpoint may subscribe to: the status changes of the organisation's files, by the status reached.
WEBHOOK_EVENT_TYPE = "file.status_changed"
