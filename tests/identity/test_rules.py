"""The rules as data: the fee table, the pièces to bring, French mobile numbers, the pré-demande's validity."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from core.dates import add_months
from identity.enums import Motif, TitleKind
from identity.forms import MotifForm
from identity.rules import (
    PASSEPORT_FEES,
    age_on,
    departement_of,
    fee_lines,
    normalise_mobile,
    pieces_to_bring,
)

TODAY = datetime.date(2026, 3, 10)


def birthday(years, days=0):
    return TODAY.replace(year=TODAY.year - years) + datetime.timedelta(days=days)


def total(kind, motif, birth_date, valid_until=None):
    return sum(line.cents for line in fee_lines(kind, motif=motif, birth_date=birth_date,
                                                 current_title_valid_until=valid_until, today=TODAY))


@pytest.mark.parametrize(
    ("birth_date", "cents"),
    [
        (birthday(0, days=-30), 1700),  # a baby
        (birthday(15, days=1), 1700),  # 15 tomorrow: still under 15
        (birthday(15), 4200),  # 15 today
        (birthday(17), 4200),
        (birthday(18, days=1), 4200),  # 18 tomorrow: still a minor
        (birthday(18), 8600),  # 18 today
        (birthday(70), 8600),
    ],
)
def test_passeport_fee_by_age_band(birth_date, cents):
    assert total(TitleKind.PASSEPORT, Motif.FIRST, birth_date) == cents
    assert total(TitleKind.PASSEPORT, Motif.RENEWAL, birth_date) == cents


def test_the_table_covers_every_age_once():
    for age in range(0, 120):
        assert sum(band.covers(age) for band in PASSEPORT_FEES) == 1, age


@pytest.mark.parametrize("motif", [Motif.CIVIL_STATUS, Motif.ADDRESS])
def test_passeport_modification_is_free_with_more_than_a_year_left(motif):
    adult, child = birthday(40), birthday(10)
    assert total(TitleKind.PASSEPORT, motif, adult, TODAY + datetime.timedelta(days=400)) == 0
    assert total(TitleKind.PASSEPORT, motif, child, TODAY + datetime.timedelta(days=400)) == 0
    # Exactly one year left is not "more than a year": the full fee.
    assert total(TitleKind.PASSEPORT, motif, adult, add_months(TODAY, 12)) == 8600
    assert total(TitleKind.PASSEPORT, motif, adult, add_months(TODAY, 12) + datetime.timedelta(days=1)) == 0
    assert total(TitleKind.PASSEPORT, motif, child, TODAY + datetime.timedelta(days=100)) == 1700


def test_a_renewal_or_a_loss_is_never_free_for_a_passeport():
    far = TODAY + datetime.timedelta(days=2000)
    assert total(TitleKind.PASSEPORT, Motif.RENEWAL, birthday(40), far) == 8600
    assert total(TitleKind.PASSEPORT, Motif.LOSS, birthday(40)) == 8600
    assert total(TitleKind.PASSEPORT, Motif.THEFT, birthday(16)) == 4200


@pytest.mark.parametrize(
    ("motif", "cents"),
    [(Motif.FIRST, 0), (Motif.RENEWAL, 0), (Motif.CIVIL_STATUS, 0), (Motif.ADDRESS, 0), (Motif.LOSS, 2500),
     (Motif.THEFT, 2500)],
)
def test_cni_is_free_except_after_a_loss_or_a_theft(motif, cents):
    assert total(TitleKind.CNI, motif, birthday(40)) == cents
    assert total(TitleKind.CNI, motif, birthday(8)) == cents


def test_fee_line_names_the_band():
    (line,) = fee_lines(TitleKind.PASSEPORT, motif=Motif.FIRST, birth_date=birthday(16), today=TODAY)
    assert line.label == "Timbre fiscal — passeport, mineur de 15 à 17 ans"


def test_passeport_fee_is_unknown_until_the_birth_date_is():
    assert fee_lines(TitleKind.PASSEPORT, motif=Motif.FIRST, birth_date=None, today=TODAY) == []


def test_age_and_months():
    assert age_on(datetime.date(2008, 3, 11), TODAY) == 17
    assert age_on(datetime.date(2008, 3, 10), TODAY) == 18
    assert add_months(datetime.date(2026, 8, 31), 6) == datetime.date(2027, 2, 28)
    assert add_months(datetime.date(2026, 1, 15), 6) == datetime.date(2026, 7, 15)


def codes(kind, motif, is_minor=False, fee_cents=0):
    return [(p.code, p.conditional) for p in pieces_to_bring(kind, motif=motif, is_minor=is_minor,
                                                             fee_cents=fee_cents)]


def test_pieces_depend_on_the_motif():
    assert codes(TitleKind.CNI, Motif.RENEWAL) == [("photo", False), ("domicile", False), ("ancien_titre", False)]
    loss = codes(TitleKind.CNI, Motif.LOSS, fee_cents=2500)
    assert ("declaration_perte", False) in loss and ("timbre", False) in loss and ("ancien_titre", False) not in loss
    theft = codes(TitleKind.PASSEPORT, Motif.THEFT, fee_cents=8600)
    assert ("declaration_vol", False) in theft and ("acte_naissance", True) in theft
    civil = codes(TitleKind.PASSEPORT, Motif.CIVIL_STATUS)
    assert ("justificatif_etat_civil", False) in civil and ("timbre", False) not in civil
    first = codes(TitleKind.PASSEPORT, Motif.FIRST, is_minor=True, fee_cents=1700)
    assert ("cni", True) in first and ("identite_parent", False) in first
    (timbre,) = [p for p in pieces_to_bring(TitleKind.PASSEPORT, motif=Motif.FIRST, is_minor=False, fee_cents=8600)
                 if p.code == "timbre"]
    assert "86 €" in timbre.label and "déjà payé" in timbre.label


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("06 12 34 56 78", "0612345678"),
        ("06.12.34.56.78", "0612345678"),
        ("07-81-23-45-67", "0781234567"),
        ("+33 6 12 34 56 78", "0612345678"),
        ("+33 (0)6 12 34 56 78", "0612345678"),
        ("0033612345678", "0612345678"),
        ("+262 692 12 34 56", "0692123456"),  # La Réunion
        ("+262 639 12 34 56", "0639123456"),  # Mayotte
        ("+590 690 12 34 56", "0690123456"),  # Guadeloupe
    ],
)
def test_french_mobile_numbers(raw, number):
    assert normalise_mobile(raw) == number


@pytest.mark.parametrize(
    "raw",
    ["04 94 12 34 56", "0712345678", "0700123456", "061234567", "06123456789", "+44 7700 900123", "+33 4 94 12 34 56",
     "+262 262 12 34 56", "06 12 34 56 7a", "", "0800 123 456"],
)
def test_not_french_mobile_numbers(raw):
    with pytest.raises(ValidationError):
        normalise_mobile(raw)


def test_departement_of_postal_codes():
    assert departement_of("83000") == "83"
    assert departement_of("20100") == "2A" and departement_of("20200") == "2B"
    assert departement_of("97400") == "974"
    assert departement_of("8300") == "" and departement_of("ABCDE") == ""


# --- Issue 13: Guyane, visa pages, a title expired long ago -----------------------------------------------------


@pytest.mark.parametrize(("birth_date", "departement", "cents"), [
    (birthday(18), "973", 4300), (birthday(18, days=1), "973", 2100), (birthday(15), "973", 2100),
    (birthday(15, days=1), "973", 850), (birthday(3), "973", 850),
    (birthday(18), "971", 8600), (birthday(18), "83", 8600), (birthday(3), "", 1700),
])
def test_the_passeport_costs_half_in_guyane(birth_date, departement, cents):
    (line,) = fee_lines(TitleKind.PASSEPORT, motif=Motif.FIRST, birth_date=birth_date, today=TODAY,
                        departement=departement)
    assert line.cents == cents
    assert ("Guyane" in line.label) is (departement == "973")


@pytest.mark.parametrize(("valid_until", "cents"), [
    (TODAY, 0),  # still valid today: replaced free of charge
    (TODAY + datetime.timedelta(days=200), 0),
    (TODAY - datetime.timedelta(days=1), 8600),  # expired: a renewal, paid
])
def test_a_passeport_with_full_visa_pages_is_replaced_free_while_valid(valid_until, cents):
    assert total(TitleKind.PASSEPORT, Motif.VISA_PAGES, birthday(40), valid_until) == cents


@pytest.mark.parametrize(("valid_until", "asked"), [
    ("2021-03-10", False),  # ended exactly 5 years ago
    ("2021-03-09", True),  # more than 5 years ago: the title no longer proves the état civil
    ("2026-01-01", False),
])
@pytest.mark.parametrize("kind", [TitleKind.CNI, TitleKind.PASSEPORT])
def test_an_acte_de_naissance_when_the_title_expired_more_than_5_years_ago(kind, valid_until, asked):
    pieces = pieces_to_bring(kind, motif=Motif.RENEWAL, is_minor=False, fee_cents=0,
                             current_title_valid_until=datetime.date.fromisoformat(valid_until), today=TODAY)
    assert ("acte_naissance" in [piece.code for piece in pieces]) is asked


def test_the_visa_pages_motif_is_for_the_passeport_only():
    data = {"beneficiary": "self", "motif": Motif.VISA_PAGES, "current_title_valid_until": "2030-01-01"}
    cni = MotifForm(data=data, kind=TitleKind.CNI)
    assert Motif.VISA_PAGES not in dict(cni.fields["motif"].choices) and not cni.is_valid()
    assert 'value="pages_visas"' not in str(cni["motif"])
    assert MotifForm(data=data, kind=TitleKind.PASSEPORT).is_valid()
