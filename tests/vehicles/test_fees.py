"""The fee of a changement de titulaire, line by line: taxe régionale (dated rates by région, selected by the day of
the operation), its exemptions and halvings (vehicles of 10 years or more, two-wheelers, the régions' choice for
electric and hydrogen vehicles since 1 May 2025), the taxe Y2 of utility vehicles, the taxe fixe and the redevance
d'acheminement; the duplicata's 13,76 €; the address change's free étiquette."""

import datetime
import re
from types import SimpleNamespace

import pytest
import time_machine

from tests.vehicles.conftest import make_vehicle
from titles.procedures import FeeLine
from titles.registry import registry
from vehicles import services as vehicle_services
from vehicles.enums import Category, CleanVehicleRate, Energy
from vehicles.fees import RateUnknown, certificate_lines, formation_professionnelle_line, rate_for, taxe_regionale_line
from vehicles.formats import FNI_DEPARTEMENTS, departement_of
from vehicles.models import TaxeRegionaleRate

pytestmark = pytest.mark.django_db

ON = datetime.date(2026, 11, 27)
Y4 = FeeLine("Taxe fixe (Y4)", 1100)
Y5 = FeeLine("Redevance d'acheminement du certificat (Y5)", 276)
PACA = ["04", "05", "06", "13", "83", "84"]

CASES = [
    # (postal code, first registration, energy, CV, Y1 cents, words in the Y1 label)
    ("83000", "2023-04-18", Energy.ES, 5, 30000, ["5 CV × 60 €", "Provence-Alpes-Côte d'Azur",
                                                  "tarif applicable depuis le 1er janvier 2026"]),
    ("75011", "2023-04-18", Energy.GO, 5, 34475, ["5 CV × 68,95 €", "Île-de-France", "1er mars 2026"]),
    ("69001", "2023-04-18", Energy.ES, 7, 30100, ["7 CV × 43 €", "Auvergne-Rhône-Alpes"]),
    ("20000", "2023-04-18", Energy.ES, 4, 21200, ["4 CV × 53 €", "Corse"]),
    ("20200", "2023-04-18", Energy.ES, 4, 21200, ["Corse"]),
    ("59000", "2023-04-18", Energy.EH, 6, 25800, ["6 CV × 43 €", "Hauts-de-France", "1er avril 2026"]),
    ("97400", "2023-04-18", Energy.ES, 5, 30000, ["5 CV × 60 €", "La Réunion", "1er février 2026"]),
    ("97200", "2023-04-18", Energy.ES, 5, 26500, ["5 CV × 53 €", "Martinique", "1er juillet 2025"]),
    # « Dix années ou plus »: halved (rounded to the cent, half up).
    ("83000", "2012-05-10", Energy.ES, 5, 15000, ["réduite de moitié", "10 ans ou plus"]),
    ("75011", "2012-05-10", Energy.ES, 5, 17238, ["68,95 €", "réduite de moitié"]),
    # The tenth anniversary is already halved; the day before is not.
    ("83000", "2016-11-27", Energy.ES, 5, 15000, ["réduite de moitié"]),
    ("83000", "2016-11-28", Energy.ES, 5, 30000, ["5 CV × 60 €"]),
    # Electric and hydrogen vehicles: full rate where the région voted nothing else (its row says so).
    ("83000", "2023-04-18", Energy.EL, 1, 6000, ["1 CV × 60 €"]),
    ("75011", "2023-04-18", Energy.HH, 8, 55160, ["8 CV × 68,95 €"]),
    # …and nothing where it voted the exemption (Hauts-de-France); a non-rechargeable hybrid (EH above) pays.
    ("59000", "2023-04-18", Energy.EL, 6, 0, ["exonérée par la région", "Hauts-de-France"]),
    ("80000", "2023-04-18", Energy.H2, 6, 0, ["exonérée par la région"]),
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


def test_every_departement_has_one_rate_in_force():
    in_force = {}
    for row in TaxeRegionaleRate.objects.filter(valid_from__lte=ON).order_by("valid_from"):
        in_force[row.region_code] = row
    assert len(in_force) == 18  # 13 metropolitan régions and 5 DOM
    covered = [d for row in in_force.values() for d in row.departements]
    assert sorted(covered) == sorted(FNI_DEPARTEMENTS) and len(covered) == len(set(covered))
    assert all(row.source for row in TaxeRegionaleRate.objects.all())


@pytest.mark.parametrize(("departement", "day", "cents"), [
    ("974", "2026-01-31", 5700), ("974", "2026-02-01", 6000),
    ("75", "2026-02-28", 5495), ("75", "2026-03-01", 6895),
    ("33", "2026-02-28", 5300), ("33", "2026-03-01", 5800),
    ("972", "2025-07-01", 5300), ("972", "2026-12-31", 5300),
    # Hauts-de-France: 43 € from 1 April 2026 (its vote of 5 February 2026).
    ("59", "2026-03-31", 4200), ("59", "2026-04-01", 4300),
    # Île-de-France: the IDFM surcharge is 14 € in 2026, 12 € from 1 January 2027 (CIBS L421-54-1, LF 2026).
    ("75", "2026-12-31", 6895), ("93", "2027-01-01", 6695),
    ("2A", "2026-01-01", 5300),
])
def test_a_rate_applies_from_its_day_on(departement, day, cents):
    assert rate_for(departement, datetime.date.fromisoformat(day)).rate_cents == cents


def test_no_rate_before_the_first_one_recorded():
    with pytest.raises(RateUnknown):
        rate_for("972", datetime.date(2025, 6, 30))
    with pytest.raises(RateUnknown):
        rate_for("99", ON)
    with pytest.raises(RateUnknown):  # Saint-Barthélemy: its own collectivité, no taxe régionale
        rate_for(departement_of("97133"), ON)


def test_rates_are_data_dated_to_the_day():
    paca_2027 = TaxeRegionaleRate.objects.create(region_code="93", region_name="Provence-Alpes-Côte d'Azur",
                                                 departements=PACA, valid_from=datetime.date(2027, 4, 1),
                                                 rate_cents=6200, source="test")
    assert rate_for("83", datetime.date(2027, 3, 31)).rate_cents == 6000
    assert rate_for("83", datetime.date(2027, 4, 1)) == paca_2027
    assert rate_for("75", datetime.date(2027, 4, 1)).valid_from == datetime.date(2027, 1, 1)


@pytest.mark.parametrize("energy", [Energy.EL, Energy.H2, Energy.HE, Energy.HH])
def test_clean_vehicles_exempt_everywhere_until_30_april_2025(energy):
    vehicle = make_vehicle(energy=energy, fiscal_horsepower=4)
    line = taxe_regionale_line(vehicle, "83", datetime.date(2025, 4, 30))  # no rate is even needed
    assert line.cents == 0 and "exonérée" in line.label


@pytest.mark.parametrize(("choice", "cents", "words"), [
    (CleanVehicleRate.FULL, 20480, ["4 CV × 51,20 €"]),
    (CleanVehicleRate.HALF, 10240, ["demi-tarif voté par la région"]),
    (CleanVehicleRate.EXEMPT, 0, ["exonérée par la région"]),
])
def test_clean_vehicles_follow_the_region_from_1_may_2025(choice, cents, words):
    TaxeRegionaleRate.objects.create(region_code="93", region_name="Provence-Alpes-Côte d'Azur", departements=PACA,
                                     valid_from=datetime.date(2025, 1, 1), rate_cents=5120, clean_vehicles=choice,
                                     source="test")
    electric = make_vehicle(energy=Energy.EL, fiscal_horsepower=4)
    line = taxe_regionale_line(electric, "83", datetime.date(2025, 5, 1))
    assert line.cents == cents
    for word in words:
        assert word in line.label
    petrol = make_vehicle(registration_number="GA-101-AB", vin="VF3CCHMZ6KW099999", numero_formule="2024AB00001",
                          energy=Energy.ES, fiscal_horsepower=4)
    assert taxe_regionale_line(petrol, "83", datetime.date(2025, 5, 1)).cents == 20480


def test_every_row_cites_what_it_rests_on():
    """No rate is left "à vérifier": each row names the vote or the law and the page reporting it, with its date."""
    for row in TaxeRegionaleRate.objects.all():
        assert "vérifier" not in row.source and "NON VÉRIFIÉ" not in row.source
        assert "repris des données du portail" not in row.source and re.search(r"\b20[0-9]{2}\b", row.source)
    exempt = TaxeRegionaleRate.objects.filter(clean_vehicles=CleanVehicleRate.EXEMPT)
    assert set(exempt.values_list("region_code", flat=True)) == {"32"}


def test_an_old_clean_vehicle_in_a_half_rate_region_is_halved_once():
    TaxeRegionaleRate.objects.filter(region_code="93").update(clean_vehicles=CleanVehicleRate.HALF)
    vehicle = make_vehicle(energy=Energy.EL, fiscal_horsepower=4, first_registration_date=datetime.date(2012, 1, 1))
    assert taxe_regionale_line(vehicle, "83", ON).cents == 12000


@pytest.mark.parametrize(("category", "first", "cents", "words"), [
    # Mopeds (L1e, L2e): nothing, whatever their age.
    (Category.CL, "2024-01-01", 0, ["exonérée", "cyclomoteur"]),
    # Motorcycles (L3e, L4e): half rate, and not halved again after 10 years.
    (Category.MTT2, "2024-01-01", 15000, ["demi-tarif", "motocyclette"]),
    (Category.MTL, "2010-01-01", 15000, ["demi-tarif"]),
    # Buses and lorries (M2, M3, N2, N3): half rate.
    (Category.TCP, "2024-01-01", 15000, ["demi-tarif"]),
    # A car: full rate.
    (Category.VP, "2024-01-01", 30000, ["5 CV × 60 €"]),
])
def test_two_wheelers_and_heavy_vehicles(category, first, cents, words):
    vehicle = make_vehicle(category=category, fiscal_horsepower=5,
                           first_registration_date=datetime.date.fromisoformat(first))
    line = taxe_regionale_line(vehicle, "83", ON)
    assert line.cents == cents
    for word in words:
        assert word in line.label


@pytest.mark.parametrize(("category", "mass", "cents"), [
    (Category.CTTE, None, 3400), (Category.CTTE, 3500, 3400),
    (Category.CAM, 3501, 12700), (Category.CAM, 5999, 12700), (Category.CAM, 6000, 18900),
    (Category.CAM, 10999, 18900), (Category.CAM, 11000, 28500), (Category.CAM, 44000, 28500),
    (Category.CAM, None, 12700),
    # Buses and coaches (transport en commun de personnes, M2/M3) pay it too, by their PTAC.
    (Category.TCP, 3500, 3400), (Category.TCP, 8000, 18900), (Category.TCP, 19000, 28500), (Category.TCP, None, 12700),
])
def test_formation_professionnelle_y2_on_utility_vehicles(category, mass, cents):
    vehicle = make_vehicle(category=category, max_laden_mass_kg=mass)
    lines = certificate_lines(vehicle, "83", ON)
    assert lines[1].label.startswith("Taxe pour la formation professionnelle dans les transports (Y2)")
    assert lines[1].cents == cents and lines[2:] == [Y4, Y5]


@pytest.mark.parametrize("category", [Category.VP, Category.MTT1, Category.CL, Category.QM, Category.VASP])
def test_no_y2_for_a_car_a_two_wheeler_or_a_vasp(category):
    vehicle = make_vehicle(category=category, max_laden_mass_kg=3500)
    assert formation_professionnelle_line(vehicle, ON) is None and len(certificate_lines(vehicle, "83", ON)) == 3


def test_the_fee_of_a_file_is_the_rate_of_its_day(buyer, monkeypatch):
    """The procedure asks for the rate in force on the day (Paris time): La Réunion's changes on 1 February 2026."""
    vehicle = make_vehicle(fiscal_horsepower=5)
    monkeypatch.setattr(vehicle_services, "vehicle_of", lambda application: vehicle)
    draft = SimpleNamespace(applicant=buyer, data={"titulaire": {"postal_code": "97400"}})
    procedure = registry.get("changement-titulaire")
    with time_machine.travel(datetime.datetime(2026, 1, 31, 22, 59, tzinfo=datetime.UTC), tick=False):
        january = procedure.fee_lines(draft)[0].cents
    with time_machine.travel(datetime.datetime(2026, 1, 31, 23, 0, tzinfo=datetime.UTC), tick=False):
        february = procedure.fee_lines(draft)[0].cents
    assert (january, february) == (28500, 30000)
