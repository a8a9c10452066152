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
