"""The vocabulary of the certificat d'immatriculation: codes printed on the certificate, kinds of operations, and
every duration and amount the procedures rely on (their sources are in docs/glossary.md)."""

import datetime

from django.db import models

# The procedures' codes (URLs: /demarches/<code>/).
CESSION = "cession"
CHANGEMENT_TITULAIRE = "changement-titulaire"
CHANGEMENT_ADRESSE = "changement-adresse"
DUPLICATA = "duplicata-carte-grise"
PROCEDURE_CODES = (CESSION, CHANGEMENT_TITULAIRE, CHANGEMENT_ADRESSE, DUPLICATA)


class Category(models.TextChoices):
    """Genre national (repère J.1), the usual ones."""

    VP = "VP", "VP — voiture particulière"
    CTTE = "CTTE", "CTTE — camionnette"
    MTL = "MTL", "MTL — motocyclette légère"
    MTT1 = "MTT1", "MTT1 — motocyclette (35 kW au plus)"
    MTT2 = "MTT2", "MTT2 — motocyclette (plus de 35 kW)"
    CL = "CL", "CL — cyclomoteur"
    QM = "QM", "QM — quadricycle à moteur"
    CAM = "CAM", "CAM — camion"
    TCP = "TCP", "TCP — transport en commun de personnes"
    VASP = "VASP", "VASP — véhicule automoteur spécialisé"


class Energy(models.TextChoices):
    """Source d'énergie (repère P.3), the usual ones."""

    ES = "ES", "ES — essence"
    GO = "GO", "GO — gazole"
    EL = "EL", "EL — électricité"
    H2 = "H2", "H2 — hydrogène"
    HE = "HE", "HE — hydrogène-électricité (hybride non rechargeable)"
    HH = "HH", "HH — hydrogène-électricité (hybride rechargeable)"
    EH = "EH", "EH — essence-électricité (hybride non rechargeable)"
    EE = "EE", "EE — essence-électricité (hybride rechargeable)"
    GH = "GH", "GH — gazole-électricité (hybride non rechargeable)"
    GL = "GL", "GL — gazole-électricité (hybride rechargeable)"
    GP = "GP", "GP — gaz de pétrole liquéfié (GPL)"
    GN = "GN", "GN — gaz naturel"
    FE = "FE", "FE — superéthanol E85"


# Art. 1012 bis CGI (L421-48 CIBS): no taxe régionale for electric, hydrogen and hydrogen-electric vehicles.
TAXE_REGIONALE_EXEMPT_ENERGIES = frozenset({Energy.EL, Energy.H2, Energy.HE, Energy.HH})


class HolderRole(models.TextChoices):
    TITULAIRE = "titulaire", "Titulaire"
    COTITULAIRE = "cotitulaire", "Cotitulaire"


class OperationKind(models.TextChoices):
    """What the history of a vehicle records."""

    IMMATRICULATION = "immatriculation", "Immatriculation"
    CESSION = "cession", "Déclaration de cession"
    CHANGEMENT_TITULAIRE = "changement_titulaire", "Changement de titulaire"
    # Written by undo_transfer before every way out had its undo; new rows use ANNULATION.
    TITULAIRE_REFUSE = "titulaire_refuse", "Changement de titulaire refusé par le CERT"
    ANNULATION = "annulation", "Démarche annulée (retirée, refusée ou close)"
    CHANGEMENT_ADRESSE = "changement_adresse", "Changement d'adresse"
    ETIQUETTE = "etiquette", "Étiquette de changement d'adresse envoyée"
    DUPLICATA = "duplicata", "Demande de duplicata"
    PASSAGE_SIV = "passage_siv", "Passage au numéro SIV"
    NOUVEAU_CERTIFICAT = "nouveau_certificat", "Nouveau certificat (nouveau numéro de formule)"
    SITUATION = "situation", "Changement de situation administrative"


class BuyerKind(models.TextChoices):
    PERSON = "person", "Une personne"
    COMPANY = "company", "Une entreprise ou une association (avec un numéro SIREN)"


class DuplicataReason(models.TextChoices):
    PERTE = "perte", "Perte"
    VOL = "vol", "Vol"
    DETERIORATION = "deterioration", "Détérioration"


class AttemptKind(models.TextChoices):
    OWNERSHIP = "ownership", "Preuve de détention (immatriculation, formule, nom)"
    CODE_DE_CESSION = "code_de_cession", "Code de cession"


# Deadlines (Code de la route) and validities.
CESSION_DEADLINE_DAYS = 15  # R322-4: the seller declares within 15 days
CODE_DE_CESSION_VALID_DAYS = 15
CHANGEMENT_TITULAIRE_DEADLINE_MONTHS = 1  # R322-5
CHANGEMENT_ADRESSE_DEADLINE_MONTHS = 1  # R322-7
CPI_VALID_MONTHS = 1
LATE_FINE_EUROS = 135  # contravention de 4e classe
CT_REQUIRED_AFTER_YEARS = 4  # contrôle technique required for a vehicle over 4 years
CT_MAX_AGE_MONTHS = 6  # at the date of the sale
STICKERS_PER_CERTIFICATE = 3  # changes of address by étiquette; the 4th gives a new certificate

# Fees (cents).
TAXE_FIXE_CENTS = 1100  # Y4
REDEVANCE_ACHEMINEMENT_CENTS = 276  # Y5
HALF_TAXE_REGIONALE_AFTER_YEARS = 10

# Brute force on the code de cession and on the proof of ownership: failures are counted per account and vehicle
# (so that nobody can lock a plate for the real buyer) and per account, over the last LOCKOUT.
FAILURES_PER_ACCOUNT_AND_VEHICLE = 5
FAILURES_PER_ACCOUNT = 20
LOCKOUT = datetime.timedelta(hours=1)

# Reminders: how long before a deadline the e-mail goes out.
REMIND_BEFORE = datetime.timedelta(days=3)
