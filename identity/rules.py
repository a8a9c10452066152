"""The rules of the CNI and passeport pré-demande, as data, in one place: the fee table, the pièces to bring to
the mairie, the pré-demande's validity, ages, and French mobile numbers. Documented in docs/glossary.md
(section « Identité »); sources in ../shared/reference/procedures-and-peers.md §1.2."""

import datetime
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from core import geography
from core.dates import add_months
from core.formats import euros
from identity.enums import LOSS_MOTIFS, MODIFICATION_MOTIFS, MOTIFS_WITH_CURRENT_TITLE, Motif, TitleKind
from titles.procedures import FeeLine

# A pré-demande (and its récapitulatif) is valid 6 calendar months after submission: past that, the portal closes
# it and a new one must be made.
PRE_DEMANDE_VALIDITY_MONTHS = 6
MAJORITY_AGE = 18
# From 12, a minor's fingerprints are taken at the deposit and the minor must come in person (deposit and
# withdrawal of the title).
FINGERPRINT_MIN_AGE = 12
# How far ahead the appointment page offers slots.
BOOKING_HORIZON_DAYS = 42


@dataclass(frozen=True)
class FeeBand:
    """One row of the passeport fee table: ages from `min_age` to `max_age` (inclusive; None: no limit)."""

    min_age: int
    max_age: int | None
    cents: int
    label: str

    def covers(self, age):
        return age >= self.min_age and (self.max_age is None or age <= self.max_age)


# Timbre fiscal for a passeport by age on the day of the pré-demande (SP F2513, F34752; CGI art. 953).
PASSEPORT_FEES = (
    FeeBand(0, 14, 1700, "mineur de moins de 15 ans"),
    FeeBand(15, 17, 4200, "mineur de 15 à 17 ans"),
    FeeBand(18, None, 8600, "majeur"),
)
# In Guyane the passeport costs half, rounded to the half euro (CGI art. 953; issue 13: 43 / 21 / 8,50 €), by the
# département of the holder's address.
PASSEPORT_FEES_GUYANE = (
    FeeBand(0, 14, 850, "mineur de moins de 15 ans, tarif de Guyane"),
    FeeBand(15, 17, 2100, "mineur de 15 à 17 ans, tarif de Guyane"),
    FeeBand(18, None, 4300, "majeur, tarif de Guyane"),
)
PASSEPORT_FEES_BY_DEPARTEMENT = {"973": PASSEPORT_FEES_GUYANE}
# A passeport modified (état civil or adresse) while still valid more than this is made free of charge.
FREE_MODIFICATION_MIN_VALIDITY_YEARS = 1
# The CNI is free, except after a loss or a theft.
CNI_LOSS_OR_THEFT_CENTS = 2500
# A title that ended more than this long ago no longer proves the état civil: an acte de naissance is asked (unless
# the commune of birth delivers its actes electronically), as for a first demande.
EXPIRED_LONG_AGO_YEARS = 5


def age_on(birth_date, day):
    """Return the age in whole years on `day`."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def passeport_band(age, departement=""):
    table = PASSEPORT_FEES_BY_DEPARTEMENT.get(departement, PASSEPORT_FEES)
    return next(band for band in table if band.covers(age))


def fee_lines(kind, *, motif, birth_date, current_title_valid_until=None, today, departement=""):
    """Return the timbre fiscal lines due for a pré-demande (empty when free, or while the age is not known)."""
    if kind == TitleKind.CNI:
        if motif in LOSS_MOTIFS:
            return [FeeLine(f"Timbre fiscal — carte d'identité après {Motif(motif).label.lower()}",
                            CNI_LOSS_OR_THEFT_CENTS)]
        return []
    if birth_date is None:
        return []
    if motif in MODIFICATION_MOTIFS and current_title_valid_until is not None:
        still_valid_until = add_months(today, 12 * FREE_MODIFICATION_MIN_VALIDITY_YEARS)
        if current_title_valid_until > still_valid_until:
            return []
    # A passeport whose visa pages are full is replaced free of charge while it is still valid.
    if motif == Motif.VISA_PAGES and current_title_valid_until is not None and current_title_valid_until >= today:
        return []
    band = passeport_band(age_on(birth_date, today), departement)
    return [FeeLine(f"Timbre fiscal — passeport, {band.label}", band.cents)]


@dataclass(frozen=True)
class Piece:
    """A document to bring to the mairie. A conditional one is needed only in the case its label says: the agent
    is not asked to tick it."""

    code: str
    label: str
    conditional: bool = False


def expired_long_ago(current_title_valid_until, today):
    """Whether the current title ended more than 5 years before `today` (an acte de naissance is then asked)."""
    return current_title_valid_until is not None and add_months(
        current_title_valid_until, 12 * EXPIRED_LONG_AGO_YEARS) < today


def pieces_to_bring(kind, *, motif, is_minor, fee_cents, current_title_valid_until=None, today=None):
    """Return the pièces to bring to the appointment, for this title, motif and age."""
    pieces = [
        Piece("photo", "Une photo d'identité de moins de 6 mois, conforme aux normes (35 × 45 mm, tête nue, "
                       "fond uni et clair)"),
        Piece("domicile", "Un justificatif de domicile de moins d'un an (facture, avis d'imposition, quittance de "
                          "loyer…)" + (", au nom du parent chez qui vit l'enfant" if is_minor else "")),
    ]
    if motif in MOTIFS_WITH_CURRENT_TITLE:
        pieces.append(Piece("ancien_titre", "La carte d'identité actuelle" if kind == TitleKind.CNI
                            else "Le passeport actuel"))
    if motif == Motif.CIVIL_STATUS:
        pieces.append(Piece("justificatif_etat_civil", "Le justificatif du changement d'état civil (acte de mariage, "
                                                         "jugement de divorce, acte portant le nouveau nom…)"))
    if motif == Motif.LOSS:
        pieces.append(Piece("declaration_perte", "La déclaration de perte (faite en ligne, ou remplie à la mairie "
                                                   "le jour du rendez-vous)"))
    if motif == Motif.THEFT:
        pieces.append(Piece("declaration_vol", "Le récépissé de la déclaration de vol faite au commissariat de "
                                                 "police ou à la gendarmerie"))
    if motif in (Motif.FIRST, Motif.LOSS, Motif.THEFT) or (
            today is not None and motif in MOTIFS_WITH_CURRENT_TITLE and expired_long_ago(current_title_valid_until,
                                                                                         today)):
        pieces.append(Piece("acte_naissance", "Un acte de naissance de moins de 3 mois, seulement si la commune de "
                                                "naissance ne délivre pas ses actes de façon dématérialisée et "
                                                "qu'aucun titre d'identité ne prouve la nationalité française",
                            conditional=True))
    if kind == TitleKind.PASSEPORT and motif == Motif.FIRST:
        pieces.append(Piece("cni", "La carte d'identité, si la personne en a une", conditional=True))
    if is_minor:
        pieces.append(Piece("identite_parent", "La pièce d'identité du parent qui fait la demande (et, en cas de "
                                                 "séparation, le jugement qui fixe l'autorité parentale)"))
    if fee_cents:
        pieces.append(Piece("timbre", f"Le timbre fiscal électronique de {euros(fee_cents)} : déjà payé en ligne et "
                                      "rattaché à la pré-demande, rien à imprimer"))
    return pieces


# Mobile numbers: 06 and 073 to 079 (ARCEP; 070 holds the 14-digit machine numbers), the overseas départements
# included (0690 Guadeloupe, 0694 Guyane, 0696 Martinique, 0692 and 0693 La Réunion, 0639 Mayotte).
MOBILE_RE = re.compile(r"^0(?:6\d|7[3-9])\d{7}$")
# International forms: France and the overseas départements' own country codes (+262: La Réunion and Mayotte).
COUNTRY_PREFIXES = ("33", "262", "590", "594", "596")


def normalise_mobile(raw):
    """Return a French mobile number as 10 digits (0612345678); raise ValidationError when it is not one."""
    text = re.sub(r"[\s.\-/]", "", raw or "").replace("(0)", "")
    if text.startswith("00"):
        text = "+" + text[2:]
    if text.startswith("+"):
        prefix = next((p for p in COUNTRY_PREFIXES if text[1:].startswith(p) and len(text) - 1 - len(p) == 9), None)
        if prefix is None:
            raise ValidationError("Saisissez un numéro de mobile français (06 ou 07), par exemple 06 12 34 56 78.")
        text = "0" + text[1 + len(prefix):]
    if not MOBILE_RE.match(text):
        raise ValidationError("Saisissez un numéro de mobile français (06 ou 07), par exemple 06 12 34 56 78.")
    return text


def display_mobile(number):
    return " ".join(number[i:i + 2] for i in range(0, len(number), 2))


def departement_of(postal_code):
    """Return the département of a French postal code (2A/2B for Corsica, 3 digits overseas), or ""."""
    return geography.departement_of(postal_code)


def as_date(value):
    """Return a date from what a step stored (an ISO string), or None."""
    if not value:
        return None
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(value)
