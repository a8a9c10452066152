from django.db import models


class ConsentMethod(models.TextChoices):
    ELECTRONIC = "electronic", "Confirmation électronique par l'usager"
    PAPER = "paper", "Mandat papier signé, conservé par l'organisation"


class DocumentStatus(models.TextChoices):
    PENDING = "pending", "En préparation"
    READY = "ready", "Disponible"


class PaymentStatus(models.TextChoices):
    PAID = "paid", "Payé"
    REFUNDED = "refunded", "Remboursé"


class InfoRequestReason(models.TextChoices):
    INCOMPLETE = "incomplete", "Dossier incomplet"
    INCORRECT = "incorrect", "Information ou pièce incorrecte"
    OUTDATED = "outdated", "Pièce périmée"


class Filer(models.TextChoices):
    """Who may file a procedure, besides the organisations whose kind files for others (`accounts.kinds`): a
    procedure's `filers` name these and the codes of such kinds, registered by the title apps."""

    CITIZEN = "citizen", "L'usager lui-même"
    MEDIATEUR = "mediateur", "Un médiateur numérique, aux côtés de l'usager"


# The slugs of the wizard's own steps (after the procedure's form steps), in URLs and in `Missing.step`.
DOCUMENTS_STEP = "pieces"
PAYMENT_STEP = "paiement"
