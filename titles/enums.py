from django.db import models


class Title(models.TextChoices):
    IDENTITY = "identity", "Carte d'identité et passeport"
    LICENCE = "licence", "Permis de conduire"
    VEHICLE = "vehicle", "Certificat d'immatriculation (carte grise)"


TITLE_DESCRIPTIONS = {
    Title.IDENTITY: "Faites votre pré-demande en ligne, puis rendez-vous dans une mairie équipée d'un dispositif de "
    "recueil avec votre numéro de pré-demande.",
    Title.LICENCE: "Inscription à l'examen, nouveau permis après réussite, perte, vol, renouvellement, échange d'un "
    "permis étranger, permis international.",
    Title.VEHICLE: "Déclaration de cession, changement de titulaire, changement d'adresse, duplicata : imprimez votre "
    "certificat provisoire et recevez la carte grise chez vous.",
}


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
    """Who may file a procedure."""

    CITIZEN = "citizen", "L'usager lui-même"
    AUTO_ECOLE = "auto_ecole", "Une école de conduite mandatée"
    PRO_AUTO = "pro_auto", "Un professionnel de l'automobile habilité et mandaté"
    MEDIATEUR = "mediateur", "Un médiateur numérique, aux côtés de l'usager"
