"""The vocabulary of the permis de conduire: categories, statuses of a licence, and the rules given as numbers.

Every duration and amount the procedures rely on lives here, in one place, with its source in docs/glossary.md.
"""

import datetime

from django.db import models

from titles.dated import Dated

# What the licences app registers with the core at start-up (licences/apps.py; stored values: never change them).
LICENCE = "licence"  # Application.title
AUTO_ECOLE = "auto_ecole"  # Organisation.kind of an école de conduite; also a procedure's filer


class Category(models.TextChoices):
    AM = "AM", "AM — cyclomoteur, voiturette"
    A1 = "A1", "A1 — motocyclette légère"
    A2 = "A2", "A2 — motocyclette de puissance limitée"
    A = "A", "A — motocyclette"
    B1 = "B1", "B1 — quadricycle lourd"
    B = "B", "B — voiture"
    BE = "BE", "BE — voiture avec remorque"
    C1 = "C1", "C1 — poids lourd de moins de 7,5 t"
    C1E = "C1E", "C1E — C1 avec remorque"
    C = "C", "C — poids lourd"
    CE = "CE", "CE — poids lourd avec remorque"
    D1 = "D1", "D1 — minibus"
    D1E = "D1E", "D1E — D1 avec remorque"
    D = "D", "D — autobus, autocar"
    DE = "DE", "DE — D avec remorque"


# The "groupe lourd": valid for a limited time, renewed on a favourable avis médical (cerfa 14880).
HEAVY_CATEGORIES = frozenset(
    {Category.C1, Category.C1E, Category.C, Category.CE, Category.D1, Category.D1E, Category.D, Category.DE}
)


class LicenceStatus(models.TextChoices):
    VALID = "valid", "Valide"
    SUSPENDED = "suspended", "Suspendu"
    ANNULLED = "annulled", "Annulé"
    INVALIDATED = "invalidated", "Invalidé (solde de points nul)"


# A licence whose holder must pass exams again before a new title is made.
LOST_STATUSES = frozenset({LicenceStatus.ANNULLED, LicenceStatus.INVALIDATED})


class PhotoMode(models.TextChoices):
    EPHOTO = "ephoto", "J'ai un code photo-signature numérique (cabine ou photographe agréé)"
    PAPER = "paper", "J'enverrai une photo papier et ma signature par courrier"


class IssuingZone(models.TextChoices):
    EU = "eu", "Union européenne, Espace économique européen, Suisse ou Monaco"
    # Licences issued by the French collectivités d'outre-mer that have their own road code: exchangeable at any
    # time, like a European one, and written in French.
    FRENCH_OVERSEAS = "french_overseas", ("Une collectivité française d'outre-mer (Polynésie française, "
                                          "Nouvelle-Calédonie, Wallis-et-Futuna, Saint-Pierre-et-Miquelon)")
    OTHER = "other", "Un autre pays"


class Exams(models.TextChoices):
    """What a holder must pass again after an annulation or an invalidation."""

    CODE = "code", "l'examen du code (épreuve théorique) seulement"
    CODE_AND_DRIVING = "code_and_driving", "l'examen du code et l'examen de conduite"


NEW_CARD_FEE_CENTS = 2500  # perte, vol only (CGI art. 1628 ter); a détérioration is free
NEW_CARD_FEE_GUYANE_CENTS = 1250
# Groupe lourd (arrêté du 20 avril 2012, as issue 13 states it): 5 years until 55; from 55, until the 60th
# birthday; from 60 to 76, 2 years for the C categories and 1 year for the D categories; from 76, 1 year.
HEAVY_VALIDITY_YEARS = 5
HEAVY_UNTIL_AGE = 55  # from this age a renewal lasts until…
HEAVY_CAPPED_AT_AGE = 60  # …this birthday
HEAVY_SENIOR_AGE = 76
HEAVY_SENIOR_YEARS = {"C": 2, "D": 1}  # from 60 to 76, by the category's letter
HEAVY_AFTER_SENIOR_YEARS = 1
CARD_VALIDITY_YEARS = 15  # cards issued since 19 January 2013
CEPC_MONTHS = 4  # right to drive given by the certificat d'examen while the card is made
LOSS_ATTESTATION_MONTHS = 2
EPHOTO_VALIDITY_MONTHS = 6
EPHOTO_CODE_LENGTH = 22
INTERNATIONAL_VALIDITY_YEARS = 3
INTERNATIONAL_PAPER_MONTHS = 2  # the paper part must reach the CERT de Nantes within this delay
FOREIGN_LICENCE_RECOGNITION_YEARS = 1  # a non-EU licence is recognised for 1 year after settling in France
PSYCHOTECHNICAL_SUSPENSION_MONTHS = 6  # a suspension of 6 months or more needs a psychotechnical test
CODE_ONLY_MAX_BAN_MONTHS = 12  # code only if the ban was shorter than 1 year…
CODE_ONLY_MIN_HELD_YEARS = 3  # …and the licence had been held for 3 years at least
ASSR_BORN_FROM_YEAR = 1988  # ASSR 2 or ASR required for those born from 1 January 1988
JDC_MIN_AGE, JDC_MAX_AGE = 17, 25  # certificat de participation à la JDC between these ages…
RECENSEMENT_ENOUGH_BEFORE_AGE = 18  # …but before 18 the attestation de recensement is enough (CSN L113-4, L114-6)


class Code:
    """The codes of the licence procedures (used in URLs, mandates and routing rules: never change one)."""

    INSCRIPTION = "permis-inscription"
    FABRICATION = "permis-fabrication"
    LOSS = "permis-perte"
    THEFT = "permis-vol"
    DAMAGE = "permis-deterioration"
    RENEWAL = "permis-renouvellement"
    CIVIL_STATUS = "permis-etat-civil"
    PROFESSIONAL_DIPLOMA = "permis-diplome-professionnel"
    MILITARY = "permis-brevet-militaire"
    AFTER_ANNULMENT = "permis-apres-annulation"
    AFTER_SUSPENSION = "permis-apres-suspension"
    EXCHANGE = "permis-echange"
    INTERNATIONAL = "permis-international"
    PAPER_EXCHANGE = "permis-format-carte"
    TRAINING = "permis-apres-formation"


# Instructed by the CERT de Nantes whatever the applicant's département.
NANTES_PROCEDURES = (Code.EXCHANGE, Code.INTERNATIONAL)
# What a driving school may file for a student under a mandate.
SCHOOL_PROCEDURES = (Code.INSCRIPTION, Code.FABRICATION, Code.LOSS, Code.THEFT, Code.DAMAGE, Code.TRAINING)
# A paper mandate is not accepted for these (the student must confirm online).
NO_PAPER_MANDATE = (Code.LOSS, Code.THEFT)
# Régions with a regional tax on the licence, where the paper mandate cannot be used (DOM except Guadeloupe; Corse).
NO_PAPER_MANDATE_DEPARTEMENTS = frozenset({"2A", "2B", "972", "973", "974", "976"})

# The paper licence (« permis rose »): the card format replaced it on 16 September 2013; every paper licence stays
# valid until 19 January 2033 and must be exchanged for a card before then (directive 2006/126/CE, art. 3 § 3,
# transposed by décret n° 2011-1475 du 9 novembre 2011; article numbers of the code de la route not re-read here).
CARD_FORMAT_FROM = datetime.date(2013, 9, 16)
PAPER_LICENCES_VALID_UNTIL = (
    Dated(datetime.date(2013, 1, 19), datetime.date(2033, 1, 19),
          "Directive 2006/126/CE du 20 décembre 2006, art. 3 § 3 ; décret n° 2011-1475 du 9 novembre 2011"),
)
