"""Every format rule of the vehicle register, in one place: registration numbers (SIV and FNI), VIN, numéro de
formule, SIREN, the code de cession, holders' names. Input is normalised (spaces, hyphens, case) before it is
checked; each `parse_*` function returns the canonical form or raises `FormatError` with a French message.

The rules and their sources are listed in docs/glossary.md (section « Certificat d'immatriculation »).
"""

import re
import secrets
import string
import unicodedata
from dataclasses import dataclass

from django.utils import timezone
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siren as stdnum_siren

from core import geography
from core.exceptions import Refused
from titles.models import is_valid_public_code, new_public_code, normalise_public_code


class FormatError(Refused, ValueError):
    """An input that does not follow the format; `reason` says why, in French."""

    def __init__(self, reason):
        super().__init__("format", reason)


def compact(raw):
    """Return `raw` in upper case without whitespace (of any kind) or hyphens."""
    return re.sub(r"[\s\-‐‑–—]+", "", str(raw or "")).upper()


# --- Registration numbers -------------------------------------------------------------------------------------

# SIV (since 2009): AA-123-AA. The letters I, O and U are never used (read as 1, 0 and V); the pair SS is never
# issued, in either block; WW on the left is reserved for provisional numbers (WW-123-AB); 000 is never issued.
SIV_LETTERS = "ABCDEFGHJKLMNPQRSTVWXYZ"
SIV_FORBIDDEN_PAIRS = frozenset({"SS"})
SIV_PROVISIONAL_PAIR = "WW"
FIRST_SIV = "AA-001-AA"
_SIV_RE = re.compile(r"^([A-Z]{2})(\d{3})([A-Z]{2})$")

# FNI (before 2009): 1 to 4 digits, 1 to 3 letters, the département (2 digits, 2A/2B, or 3 digits for the DOM),
# e.g. 123 ABC 83. The series went 1 A → 9999 ZZ → 999 ZZZ: four digits never came with three letters.
_FNI_RE = re.compile(r"^([1-9]\d{0,3})([A-Z]{1,3})(\d{2,3}|2A|2B)$")
FNI_DEPARTEMENTS = frozenset(
    [f"{n:02d}" for n in range(1, 96) if n != 20] + ["2A", "2B", "971", "972", "973", "974", "976"]
)

PLATE_HELP = "Au format AB-123-CD (depuis 2009) ou 123 ABC 83 (ancien format)."


@dataclass(frozen=True)
class Registration:
    number: str  # canonical: "AB-123-CD" or "123 ABC 83"
    is_siv: bool
    provisional: bool = False

    def __str__(self):
        return self.number


def parse_registration(raw, *, allow_provisional=False):
    """Return the Registration for a typed number (SIV or FNI), or raise FormatError."""
    text = compact(raw)
    if not text:
        raise FormatError("Indiquez le numéro d'immatriculation.")
    siv = _SIV_RE.match(text)
    if siv:
        left, digits, right = siv.groups()
        letters = left + right
        if any(letter in "IOU" for letter in letters):
            raise FormatError("Les lettres I, O et U ne sont jamais utilisées dans une immatriculation : "
                              "vérifiez s'il s'agit des chiffres 1 et 0 ou de la lettre V.")
        if left in SIV_FORBIDDEN_PAIRS or right in SIV_FORBIDDEN_PAIRS:
            raise FormatError("La série SS n'est jamais attribuée : vérifiez le numéro d'immatriculation.")
        if digits == "000":
            raise FormatError("Le groupe de chiffres d'une immatriculation va de 001 à 999.")
        provisional = left == SIV_PROVISIONAL_PAIR
        if provisional and not allow_provisional:
            raise FormatError("Les numéros WW sont des immatriculations provisoires : indiquez le numéro définitif.")
        return Registration(f"{left}-{digits}-{right}", is_siv=True, provisional=provisional)
    fni = _FNI_RE.match(text)
    if fni:
        digits, letters, departement = fni.groups()
        if departement not in FNI_DEPARTEMENTS:
            raise FormatError(f"« {departement} » n'est pas un numéro de département : vérifiez l'immatriculation.")
        if len(digits) == 4 and len(letters) == 3:
            raise FormatError("Une immatriculation à l'ancien format compte au plus 3 chiffres avec 3 lettres.")
        return Registration(f"{digits} {letters} {departement}", is_siv=False)
    raise FormatError(f"Ce numéro d'immatriculation n'est pas valide. {PLATE_HELP}")


def is_siv_number(number):
    return bool(_SIV_RE.match(compact(number)))


def _pairs(left):
    """Yield the letter pairs the SIV issues in a block, in order (the left block skips WW)."""
    for first in SIV_LETTERS:
        for second in SIV_LETTERS:
            pair = first + second
            if pair in SIV_FORBIDDEN_PAIRS or (left and pair == SIV_PROVISIONAL_PAIR):
                continue
            yield pair


LEFT_PAIRS = tuple(_pairs(left=True))
RIGHT_PAIRS = tuple(_pairs(left=False))


def next_siv(number):
    """Return the SIV number issued after `number` in the national chronological series.

    The digits move fastest (001 → 999), then the right-hand pair, then the left-hand pair:
    AA-999-AA → AA-001-AB, AA-999-ZZ → AB-001-AA.
    """
    left, digits, right = number.split("-")
    if digits != "999":
        return f"{left}-{int(digits) + 1:03d}-{right}"
    right_index = RIGHT_PAIRS.index(right)
    if right_index + 1 < len(RIGHT_PAIRS):
        return f"{left}-001-{RIGHT_PAIRS[right_index + 1]}"
    left_index = LEFT_PAIRS.index(left)
    if left_index + 1 == len(LEFT_PAIRS):
        raise OverflowError("The SIV series is exhausted")
    return f"{LEFT_PAIRS[left_index + 1]}-001-{RIGHT_PAIRS[0]}"


# --- VIN -------------------------------------------------------------------------------------------------------

# ISO 3779: 17 characters, digits and letters except I, O and Q. Position 9 is a check digit only in North
# America: European VINs often carry a letter or a digit there that is no checksum, so it is not checked.
VIN_ALPHABET = frozenset("0123456789ABCDEFGHJKLMNPRSTUVWXYZ")
VIN_HELP = "17 caractères, repère E du certificat d'immatriculation."


def parse_vin(raw):
    text = compact(raw)
    if not text:
        raise FormatError("Indiquez le numéro d'identification du véhicule (VIN).")
    if set(text) & set("IOQ"):
        raise FormatError("Les lettres I, O et Q n'existent pas dans un numéro VIN : vérifiez s'il s'agit des "
                          "chiffres 1 et 0.")
    if not set(text) <= VIN_ALPHABET:
        raise FormatError("Un numéro VIN ne contient que des chiffres et des lettres.")
    if len(text) != 17:
        raise FormatError(f"Un numéro VIN compte 17 caractères ; vous en avez saisi {len(text)}.")
    return text


# --- Numéro de formule -----------------------------------------------------------------------------------------

# On SIV certificates only: the year of issue, 2 letters, 5 digits (e.g. 2017AB12345). FNI certificates have
# none: the date of the certificate (repère I) proves ownership instead.
_FORMULE_RE = re.compile(r"^(\d{4})([A-Z]{2})(\d{5})$")
SIV_START_YEAR = 2009
FORMULE_HELP = "11 caractères, par exemple 2017AB12345 (au recto de la carte grise, sous le repère E)."


def parse_numero_formule(raw):
    text = compact(raw)
    if not text:
        raise FormatError("Indiquez le numéro de formule.")
    match = _FORMULE_RE.match(text)
    if not match:
        raise FormatError(f"Le numéro de formule compte 4 chiffres, 2 lettres et 5 chiffres. {FORMULE_HELP}")
    year = int(match[1])
    if not SIV_START_YEAR <= year <= timezone.localdate().year:
        raise FormatError("Le numéro de formule commence par l'année d'édition de la carte grise (2009 ou après).")
    return text


def new_numero_formule(year):
    """Return a fresh numéro de formule for a certificate printed in `year` (uniqueness is the register's job)."""
    letters = "".join(secrets.choice(string.ascii_uppercase) for _ in range(2))
    return f"{year}{letters}{secrets.randbelow(100000):05d}"


# --- SIREN -----------------------------------------------------------------------------------------------------


def parse_siren(raw):
    text = stdnum_siren.compact(str(raw or ""))
    try:
        return stdnum_siren.validate(text)
    except StdnumError as exc:
        raise FormatError("Ce numéro SIREN n'est pas valide : il compte 9 chiffres (les 9 premiers du SIRET).") \
            from exc


# --- Code de cession -------------------------------------------------------------------------------------------

# 11 random Crockford base32 characters (55 bits) and a check character: typeable, read aloud without ambiguity,
# and a typo is caught before the register is asked.
CODE_DE_CESSION_LENGTH = 12


def new_code_de_cession():
    return new_public_code(CODE_DE_CESSION_LENGTH)


def parse_code_de_cession(raw):
    code = normalise_public_code(raw)
    if not code:
        raise FormatError("Indiquez le code de cession que le vendeur vous a remis.")
    if len(code) != CODE_DE_CESSION_LENGTH or not is_valid_public_code(code):
        raise FormatError("Ce code de cession n'est pas valide : il compte 12 caractères (chiffres et lettres), "
                          "vérifiez chacun d'eux.")
    return code


def display_code(code):
    """Return a code in groups of four for reading: 7K3M-Q9XA-2B4F."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


# --- Names -----------------------------------------------------------------------------------------------------


def normalise_name(raw):
    """Return a name as printed on a certificate: capitals without accents, one space between words."""
    text = unicodedata.normalize("NFKD", str(raw or ""))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).upper()
    text = re.sub(r"[^A-Z0-9]+", " ", text)
    return " ".join(text.split())


# --- Addresses -------------------------------------------------------------------------------------------------


def departement_of(postal_code):
    """Return the département of a French postal code (2A/2B for Corsica, 3 digits overseas), or ""."""
    return geography.departement_of(compact(postal_code))


def parse_postal_code(raw):
    code = compact(raw)
    if len(code) != 5 or not code.isdigit() or code.startswith("00"):
        raise FormatError("Le code postal compte 5 chiffres.")
    return code
