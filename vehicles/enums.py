"""The vocabulary of the certificat d'immatriculation: codes printed on the certificate, kinds of operations, and
every duration and amount the procedures rely on (their sources are in docs/glossary.md)."""

import datetime

from django.db import models

from titles.dated import Dated

# What the vehicles app registers with the core at start-up (vehicles/apps.py; stored values: never change them).
VEHICLE = "vehicle"  # Application.title
PRO_AUTO = "pro_auto"  # Organisation.kind of a professionnel de l'automobile habilité; also a procedure's filer

# The procedures' codes (URLs: /demarches/<code>/).
CESSION = "cession"
CHANGEMENT_TITULAIRE = "changement-titulaire"
CHANGEMENT_ADRESSE = "changement-adresse"
DUPLICATA = "duplicata-carte-grise"
CSA_ON_DEMAND = "certificat-situation-administrative"
CHANGEMENT_ETAT_CIVIL = "carte-grise-etat-civil"
COTITULAIRE = "carte-grise-cotitulaire"
DECLARATION_ACHAT = "declaration-achat"
CHANGEMENT_TITULAIRE_STOCK = "changement-titulaire-stock"
IMMATRICULATION_NEUF = "immatriculation-neuf"
PROCEDURE_CODES = (CESSION, CHANGEMENT_TITULAIRE, CHANGEMENT_ADRESSE, DUPLICATA, CSA_ON_DEMAND, CHANGEMENT_ETAT_CIVIL,
                   COTITULAIRE, DECLARATION_ACHAT, CHANGEMENT_TITULAIRE_STOCK, IMMATRICULATION_NEUF)
# A habilitated professional declares the vehicle it bought within 15 days of the purchase (arrêté du 9 février
# 2009, art. 11; cerfa 13751).
DECLARATION_ACHAT_DEADLINE_DAYS = 15


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


# Electric, hydrogen and hydrogen-electric vehicles ("véhicules propres" for the taxe régionale). Exempt everywhere
# until 30 April 2025; since the loi de finances pour 2025 (art. 119) each région chooses (TaxeRegionaleRate.
# clean_vehicles), and a région that voted nothing charges the full rate from 1 May 2025.
TAXE_REGIONALE_CLEAN_ENERGIES = frozenset({Energy.EL, Energy.H2, Energy.HE, Energy.HH})
CLEAN_VEHICLES_REGIONAL_CHOICE_FROM = datetime.date(2025, 5, 1)


class CleanVehicleRate(models.TextChoices):
    """What a région asks of electric and hydrogen vehicles for the taxe régionale (LF 2025, art. 119)."""

    FULL = "full", "Plein tarif"
    HALF = "half", "Demi-tarif"
    EXEMPT = "exempt", "Exonération (0 €)"


# Catégorie L (two- and three-wheelers, quadricycles) by genre national: mopeds are L1e/L2e (CL), motorcycles
# L3e/L4e (MTL, MTT1, MTT2), quadricycles L6e/L7e (QM).
MOPEDS = frozenset({Category.CL})
MOTORCYCLES = frozenset({Category.MTL, Category.MTT1, Category.MTT2})
L_CATEGORY = frozenset({*MOPEDS, *MOTORCYCLES, Category.QM})
# Halved whatever their age, and not halved again after 10 years (CIBS L421-46): motorcycles, and the M2/M3/N2/N3
# vehicles the ANTS page lists (buses and coaches TCP, lorries CAM).
HALF_RATE_CATEGORIES = frozenset({*MOTORCYCLES, Category.TCP, Category.CAM})


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
    CHANGEMENT_ETAT_CIVIL = "changement_etat_civil", "Changement d'état civil d'un titulaire"
    AJOUT_COTITULAIRE = "ajout_cotitulaire", "Ajout d'un cotitulaire"
    RETRAIT_COTITULAIRE = "retrait_cotitulaire", "Retrait d'un cotitulaire"
    DECLARATION_ACHAT = "declaration_achat", "Déclaration d'achat par un professionnel (véhicule en négoce)"
    SORTIE_STOCK = "sortie_stock", "Vente par un professionnel : le véhicule sort de son stock"


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
CT_REQUIRED_AFTER_YEARS = 4  # contrôle technique required at a sale for a vehicle over 4 years (R323-22)…
# …and for a vehicle of catégorie L over 5 years, since the contrôle technique of two-wheelers began.
CT_L_CATEGORY = (
    Dated(datetime.date(2024, 4, 15), 5, "Décret n° 2023-974 du 23 octobre 2023 ; arrêté du 23 octobre 2023 "
                                         "(contrôle technique des véhicules de catégorie L)"),
)
CT_MAX_AGE_MONTHS = 6  # at the date of the sale
CONTRE_VISITE_MAX_AGE_MONTHS = 2  # a contre-visite the contrôle prescribed must be under 2 months at the sale
STICKERS_PER_CERTIFICATE = 3  # changes of address by étiquette; the 4th gives a new certificate

# Fees (cents).
TAXE_FIXE_CENTS = 1100  # Y4
REDEVANCE_ACHEMINEMENT_CENTS = 276  # Y5
HALF_TAXE_REGIONALE_AFTER_YEARS = 10  # « dix années ou plus »: the tenth anniversary is already halved (CIBS)

# Y2: taxe sur les véhicules de transport (formerly « formation professionnelle dans les transports »), on
# vehicles carrying goods (camionnettes, camions; road tractors are not among our genres) and on vehicles carrying
# passengers (transport en commun de personnes, TCP: M2, M3), by PTAC (F.2): (mass in kg at most, or None above
# the last bound; cents). PTAC ≤ 3,5 t 34 €; 3,5 t < PTAC < 6 t 127 €; 6 t ≤ PTAC < 11 t 189 €; 11 t and more
# 285 €. A camionnette is 3,5 t at most by definition. Cars, two-wheelers, mopeds (CL) and VASP do not pay it.
Y2_SOURCE = ("CIBS art. L421-30, 3° (taxe sur les véhicules de transport), ex-art. 1635 bis M CGI, depuis le "
             "1er janvier 2022 ; barème par PTAC de l'ANTS (« Coût de la carte grise »)")
Y2_BRACKETS = (
    Dated(datetime.date(2022, 1, 1), ((3500, 3400), (5999, 12700), (10999, 18900), (None, 28500)), Y2_SOURCE),
)
Y2_CATEGORIES = frozenset({Category.CTTE, Category.CAM, Category.TCP})

# Brute force on the code de cession and on the proof of ownership: failures are counted per account and vehicle
# (so that nobody can lock a plate for the real buyer) and per account, over the last LOCKOUT.
FAILURES_PER_ACCOUNT_AND_VEHICLE = 5
FAILURES_PER_ACCOUNT = 20
LOCKOUT = datetime.timedelta(hours=1)

# Reminders: how long before a deadline the e-mail goes out.
REMIND_BEFORE = datetime.timedelta(days=3)
