"""The fee of a changement de titulaire, line by line: taxe régionale (rates as data, by région and year), halved
after 10 years, nil for electric and hydrogen vehicles, plus the taxe fixe and the redevance d'acheminement;
the duplicata's 13,76 €; the address change's free étiquette."""

import datetime

import pytest

from tests.vehicles.conftest import make_vehicle
from titles.procedures import FeeLine
from vehicles.enums import Energy
from vehicles.fees import RateUnknown, certificate_lines, rate_for
from vehicles.formats import FNI_DEPARTEMENTS, departement_of
from vehicles.models import TaxeRegionaleRate

pytestmark = pytest.mark.django_db

ON = datetime.date(2026, 11, 27)
Y4 = FeeLine("Taxe fixe (Y4)", 1100)
Y5 = FeeLine("Redevance d'acheminement du certificat (Y5)", 276)

CASES = [
    # (postal code, first registration, energy, CV, Y1 cents, words in the Y1 label)
    ("83000", "2023-04-18", Energy.ES, 5, 30000, ["5 CV × 60 €", "Provence-Alpes-Côte d'Azur, 2026"]),
    ("75011", "2023-04-18", Energy.GO, 5, 34475, ["5 CV × 68,95 €", "Île-de-France"]),
    ("69001", "2023-04-18", Energy.ES, 7, 30100, ["7 CV × 43 €", "Auvergne-Rhône-Alpes"]),
    ("20000", "2023-04-18", Energy.ES, 4, 21200, ["4 CV × 53 €", "Corse"]),
    ("20200", "2023-04-18", Energy.ES, 4, 21200, ["Corse"]),
    ("59000", "2023-04-18", Energy.EH, 6, 25200, ["6 CV × 42 €", "Hauts-de-France"]),
    ("97400", "2023-04-18", Energy.ES, 5, 25500, ["5 CV × 51 €", "La Réunion"]),
    ("97200", "2023-04-18", Energy.ES, 5, 15000, ["5 CV × 30 €", "Martinique"]),
    # Over 10 years: halved (rounded to the cent, half up).
    ("83000", "2012-05-10", Energy.ES, 5, 15000, ["réduite de moitié", "plus de 10 ans"]),
    ("75011", "2012-05-10", Energy.ES, 5, 17238, ["68,95 €", "réduite de moitié"]),
    # Exactly 10 years is not « plus de 10 ans ».
    ("83000", "2016-11-27", Energy.ES, 5, 30000, ["5 CV × 60 €"]),
    ("83000", "2016-11-26", Energy.ES, 5, 15000, ["réduite de moitié"]),
    # Exempt: electric, hydrogen, hydrogen-electric.
    ("83000", "2023-04-18", Energy.EL, 1, 0, ["exonérée", "électricité"]),
    ("75011", "2012-05-10", Energy.H2, 8, 0, ["exonérée", "hydrogène"]),
    ("75011", "2023-04-18", Energy.HH, 8, 0, ["exonérée"]),
]


@pytest.mark.parametrize(("postal_code", "first", "energy", "cv", "y1", "words"), CASES)
def test_taxe_regionale_line_by_line(postal_code, first, energy, cv, y1, words):
    vehicle = make_vehicle(energy=energy, fiscal_horsepower=cv, first_registration_date=datetime.date.fromisoformat(
        first))
    lines = certificate_lines(vehicle, departement_of(postal_code), ON)
    assert lines[1:] == [Y4, Y5]
    assert lines[0].cents == y1
    assert lines[0].label.startswith("Taxe régionale (Y1)")
    for word in words:
        assert word in lines[0].label
    assert sum(line.cents for line in lines) == y1 + 1376


def test_every_departement_has_a_rate():
    rows = list(TaxeRegionaleRate.objects.filter(year=2026))
    assert len(rows) == 18  # 13 metropolitan régions and 5 DOM
    covered = [d for row in rows for d in row.departements]
    assert sorted(covered) == sorted(FNI_DEPARTEMENTS) and len(covered) == len(set(covered))


def test_rates_are_data_by_year():
    paca_2027 = TaxeRegionaleRate.objects.create(region_code="93", region_name="Provence-Alpes-Côte d'Azur",
                                                 departements=["04", "05", "06", "13", "83", "84"], year=2027,
                                                 rate_cents=6200)
    assert rate_for("83", ON).rate_cents == 6000
    assert rate_for("83", datetime.date(2027, 1, 2)) == paca_2027
    assert rate_for("75", datetime.date(2027, 1, 2)).year == 2026  # no 2027 vote yet: the latest applies
    with pytest.raises(RateUnknown):
        rate_for("99", ON)
