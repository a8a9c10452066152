from django.db import models


class ConsentMethod(models.TextChoices):
    ELECTRONIC = "electronic", "Confirmation électronique par l'usager"
    PAPER = "paper", "Mandat papier signé, conservé par l'organisation"


class DocumentStatus(models.TextChoices):
    PENDING = "pending", "En préparation"
    READY = "ready", "Disponible"


class PaymentStatus(models.TextChoices):
    PAID = "paid", "Payé"
    # A card payment whose refund is asked of the provider by a task after commit (the outbox of refunds).
    REFUND_PENDING = "refund_pending", "Remboursement en cours"
    REFUNDED = "refunded", "Remboursé"


class PaymentMethod(models.TextChoices):
    """How a procedure's fee is paid: a timbre fiscal électronique (permis, passeport) or a bank card at the end of
    the démarche (the carte grise taxes, paid to the ANTS's payment provider)."""

    TIMBRE = "timbre", "Timbre fiscal électronique"
    CARD = "card", "Carte bancaire"


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
