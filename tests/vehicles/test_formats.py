"""The format rules of the register (vehicles/formats.py), table-driven: what people type, normalised, then
accepted in canonical form or refused with a French reason."""

import pytest
import time_machine

from vehicles import formats
from vehicles.formats import FormatError

VALID_PLATES = [
    ("AB-123-CD", "AB-123-CD", True),
    ("ab123cd", "AB-123-CD", True),
    ("  ab 123 cd ", "AB-123-CD", True),
    ("Ab-123 -cD", "AB-123-CD", True),
    ("GD–482–ZP", "GD-482-ZP", True),  # en dashes, as pasted from a word processor
    ("AA-001-AA", "AA-001-AA", True),
    ("ZZ-999-ZZ", "ZZ-999-ZZ", True),
    ("SA-123-AS", "SA-123-AS", True),  # S alone is fine, only SS is forbidden
    ("AB-123-WW", "AB-123-WW", True),  # WW is reserved on the left only
    ("123 ABC 83", "123 ABC 83", False),
    ("123abc83", "123 ABC 83", False),
    ("1234-ab-56", "1234 AB 56", False),
    ("1 a 75", "1 A 75", False),
    ("9999 ZZ 13", "9999 ZZ 13", False),
    ("456 AB 2a", "456 AB 2A", False),
    ("456 AB 2B", "456 AB 2B", False),
    ("78 XYZ 974", "78 XYZ 974", False),
]

INVALID_PLATES = [
    ("", "Indiquez"),
    ("AB-123", "n'est pas valide"),
    ("AB-1234-CD", "n'est pas valide"),
    ("A1-123-CD", "n'est pas valide"),
    ("AI-123-CD", "I, O et U"),
    ("AB-123-CO", "I, O et U"),
    ("UB-123-CD", "I, O et U"),
    ("SS-123-AB", "SS"),
    ("AB-123-SS", "SS"),
    ("WW-123-AB", "provisoires"),
    ("AB-000-CD", "001 à 999"),
    ("0123 AB 83", "n'est pas valide"),  # FNI numbers have no leading zero
    ("12345 AB 83", "n'est pas valide"),
    ("123 ABCD 83", "n'est pas valide"),
    ("1234 ABC 83", "au plus 3 chiffres"),
    ("123 AB 20", "département"),
    ("123 AB 96", "département"),
    ("123 AB 975", "département"),
    ("123 AB 2C", "n'est pas valide"),
]


@pytest.mark.parametrize(("typed", "canonical", "is_siv"), VALID_PLATES)
def test_valid_registration_numbers(typed, canonical, is_siv):
    registration = formats.parse_registration(typed)
    assert (registration.number, registration.is_siv) == (canonical, is_siv)


@pytest.mark.parametrize(("typed", "reason"), INVALID_PLATES)
def test_invalid_registration_numbers(typed, reason):
    with pytest.raises(FormatError) as error:
        formats.parse_registration(typed)
    assert reason in error.value.reason


def test_provisional_numbers_when_asked_for():
    registration = formats.parse_registration("ww 123 ab", allow_provisional=True)
    assert registration.number == "WW-123-AB" and registration.provisional


@pytest.mark.parametrize(("number", "following"), [
    ("AA-001-AA", "AA-002-AA"),
    ("AA-999-AA", "AA-001-AB"),
    ("AA-999-AH", "AA-001-AJ"),  # no I
    ("AA-999-AN", "AA-001-AP"),  # no O
    ("AA-999-AT", "AA-001-AV"),  # no U
    ("AA-999-SR", "AA-001-ST"),  # no SS on the right
    ("AA-999-ZZ", "AB-001-AA"),
    ("SR-999-ZZ", "ST-001-AA"),  # no SS on the left
    ("WV-999-ZZ", "WX-001-AA"),  # no WW on the left
])
def test_next_siv_number(number, following):
    assert formats.next_siv(number) == following
    assert formats.parse_registration(following).number == following


def test_next_siv_number_stays_valid_over_a_long_run():
    number = "AA-990-ZX"
    for _ in range(3000):
        number = formats.next_siv(number)
        assert formats.parse_registration(number).number == number


VALID_VINS = [
    ("VF3CCHMZ6KW012345", "VF3CCHMZ6KW012345"),
    ("vf3cchmz6kw012345", "VF3CCHMZ6KW012345"),
    ("VF3 CCH MZ6 KW0 123 45", "VF3CCHMZ6KW012345"),
    ("WVW-ZZZ-1JZ-XW000001", "WVWZZZ1JZXW000001"),  # European VIN: a letter at position 9, no check digit
    ("1M8GDM9AXKP042788", "1M8GDM9AXKP042788"),  # North American, right check digit
    ("1M8GDM9A1KP042788", "1M8GDM9A1KP042788"),  # wrong check digit: not rejected (European VINs have none)
]

INVALID_VINS = [
    ("", "Indiquez"),
    ("VF3CCHMZ6KW01234", "17 caractères ; vous en avez saisi 16"),
    ("VF3CCHMZ6KW0123456", "vous en avez saisi 18"),
    ("VF3CCHMZ6KWO12345", "I, O et Q"),
    ("VF3CCHMZ6KWI12345", "I, O et Q"),
    ("VF3CCHMZ6KWQ12345", "I, O et Q"),
    ("VF3CCHMZ6KW_12345", "que des chiffres et des lettres"),
]


@pytest.mark.parametrize(("typed", "canonical"), VALID_VINS)
def test_valid_vins(typed, canonical):
    assert formats.parse_vin(typed) == canonical


@pytest.mark.parametrize(("typed", "reason"), INVALID_VINS)
def test_invalid_vins(typed, reason):
    with pytest.raises(FormatError) as error:
        formats.parse_vin(typed)
    assert reason in error.value.reason


@time_machine.travel("2026-11-27 10:00 +0100")
@pytest.mark.parametrize(("typed", "canonical"), [
    ("2017AB12345", "2017AB12345"),
    ("2017ab12345", "2017AB12345"),
    (" 2017 AB 12345 ", "2017AB12345"),
    ("2017-AB-12345", "2017AB12345"),
    ("2009ZZ00000", "2009ZZ00000"),
    ("2026RV48832", "2026RV48832"),
])
def test_valid_numeros_de_formule(typed, canonical):
    assert formats.parse_numero_formule(typed) == canonical


@time_machine.travel("2026-11-27 10:00 +0100")
@pytest.mark.parametrize(("typed", "reason"), [
    ("", "Indiquez"),
    ("2017AB1234", "4 chiffres, 2 lettres et 5 chiffres"),
    ("2017A123456", "4 chiffres, 2 lettres et 5 chiffres"),
    ("17AB12345", "4 chiffres, 2 lettres et 5 chiffres"),
    ("2008AB12345", "2009 ou après"),  # before the SIV
    ("2027AB12345", "2009 ou après"),  # not printed yet
])
def test_invalid_numeros_de_formule(typed, reason):
    with pytest.raises(FormatError) as error:
        formats.parse_numero_formule(typed)
    assert reason in error.value.reason


@pytest.mark.parametrize(("typed", "valid"), [
    ("732 829 320", True), ("732829320", True), ("356000000", True),
    ("732829321", False), ("73282932", False), ("", False),
])
def test_siren(typed, valid):
    if valid:
        assert formats.parse_siren(typed) == typed.replace(" ", "")
    else:
        with pytest.raises(FormatError):
            formats.parse_siren(typed)


def test_codes_de_cession_are_typeable_and_checked():
    code = formats.new_code_de_cession()
    assert len(code) == 12 and formats.parse_code_de_cession(code) == code
    typed = formats.display_code(code).lower()  # « 7k3m-q9xa-2b4f »
    assert formats.parse_code_de_cession(typed) == code
    # One character wrong is caught by the check character, before the register is asked.
    wrong = ("1" if code[0] != "1" else "2") + code[1:]
    with pytest.raises(FormatError):
        formats.parse_code_de_cession(wrong)
    # 11 random characters out of 32: 55 bits.
    assert 11 * 5 >= 50


@pytest.mark.parametrize(("typed", "normalised"), [
    ("Dubois", "DUBOIS"), ("  angéla  claire-louise ", "ANGELA CLAIRE LOUISE"), ("N'Diaye", "N DIAYE"),
    ("Müller", "MULLER"),
])
def test_names_are_compared_as_printed(typed, normalised):
    assert formats.normalise_name(typed) == normalised


@pytest.mark.parametrize(("postal_code", "departement"), [
    ("83000", "83"), ("20000", "2A"), ("20200", "2B"), ("97400", "974"), ("7500", ""), ("abcde", ""),
])
def test_departement_of(postal_code, departement):
    assert formats.departement_of(postal_code) == departement
