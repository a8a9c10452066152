"""The malus of a new passenger car, from the dated tables of vehicles/data/malus.json: the CO2 grid (WLTP) at its
thresholds and caps, the mass tax by fractions, the hybrids' abatements, the exemption of electric and hydrogen
vehicles, the cap on the two together, the switch from the 2025 table to the 2026 one, and the refusal on a day no
table covers."""

import datetime

import pytest

from vehicles.enums import Category, Energy
from vehicles.malus import MalusUnavailable, compute, tables

IN_2025 = datetime.date(2025, 6, 15)
IN_2026 = datetime.date(2026, 6, 15)


def malus(on, co2=100, mass=1200, energy=Energy.ES, category=Category.VP, electric_range_km=None):
    return compute(category=category, energy=energy, co2_g_km=co2, mass_kg=mass, on=on,
                   electric_range_km=electric_range_km)


@pytest.mark.parametrize(("on", "co2", "euros"), [
    # 2025 (from 1 March 2025): first taxed at 113 g/km, 70 000 € from 193 g/km.
    (IN_2025, 112, 0), (IN_2025, 113, 50), (IN_2025, 114, 75), (IN_2025, 150, 3119), (IN_2025, 161, 6126),
    (IN_2025, 190, 61245), (IN_2025, 192, 67467), (IN_2025, 193, 70000), (IN_2025, 260, 70000),
    # 2026: first taxed at 108 g/km, 79 911 € at 191 g/km, 80 000 € from 192 g/km.
    (IN_2026, 107, 0), (IN_2026, 108, 50), (IN_2026, 114, 190), (IN_2026, 155, 5715), (IN_2026, 156, 6126),
    (IN_2026, 191, 79911), (IN_2026, 192, 80000), (IN_2026, 300, 80000),
])
def test_the_co2_grid_at_its_thresholds_and_caps(on, co2, euros):
    assert malus(on, co2=co2).co2_euros == euros


def test_each_grid_is_complete_gram_by_gram():
    co2, _ = tables()
    for table, last in zip(co2, (192, 191), strict=True):
        assert table.first_taxed_g + len(table.tariff_euros) - 1 == last
        assert list(table.tariff_euros) == sorted(table.tariff_euros) and table.tariff_euros[-1] < table.cap_euros


@pytest.mark.parametrize(("on", "mass", "euros"), [
    (IN_2025, 1599, 0), (IN_2025, 1600, 10), (IN_2025, 1800, 2015), (IN_2025, 2200, 2000 + 1500 + 2000 + 2500 + 3030),
    (IN_2026, 1499, 0), (IN_2026, 1500, 10), (IN_2026, 1700, 2015), (IN_2026, 2100, 2000 + 1500 + 2000 + 2500 + 3030),
])
def test_the_mass_tax_by_fractions(on, mass, euros):
    assert malus(on, mass=mass).weight_euros == euros


def test_hybrids_have_their_abatement():
    # A non-rechargeable hybrid: 100 kg off.
    assert malus(IN_2026, mass=1600, energy=Energy.EH).weight_euros == 10
    # A plug-in hybrid with more than 50 km in town: 200 kg off, at most 15 % of the mass.
    plug_in = malus(IN_2026, mass=1700, energy=Energy.EE, electric_range_km=60)
    assert plug_in.weight_euros == 10 and "abattement de 200" in plug_in.weight_label
    assert malus(IN_2026, mass=1000, energy=Energy.GL, electric_range_km=60).weight_euros == 0
    # Less range: the hybrids' 100 kg only.
    assert malus(IN_2026, mass=1700, energy=Energy.EE, electric_range_km=40).weight_euros == 101 * 10


def test_electric_and_hydrogen_vehicles_are_exempt_from_both():
    for energy in (Energy.EL, Energy.H2):
        exempt = malus(IN_2026, co2=0, mass=2400, energy=energy)
        assert exempt.total_euros == 0 and "exonéré" in exempt.co2_label and "exonéré" in exempt.weight_label
    assert malus(IN_2026, co2=0, mass=2400, energy=Energy.GO).weight_euros > 0


def test_only_passenger_cars_owe_the_malus():
    utility = malus(IN_2026, co2=220, mass=2100, category=Category.CTTE)
    assert utility.total_euros == 0 and "voitures particulières" in utility.co2_label


def test_co2_and_mass_together_never_exceed_the_cap():
    capped = malus(IN_2026, co2=190, mass=2100)
    assert capped.co2_euros == 76800 and capped.total_euros == 80000 and "plafonnés ensemble" in capped.weight_label
    assert malus(IN_2026, co2=250, mass=2500).total_euros == 80000
    assert malus(IN_2025, co2=250, mass=2500).total_euros == 70000


def test_the_table_switches_on_the_first_of_january():
    # The day of the first registration decides (the journey, time frozen, is in test_neuf.py).
    assert malus(datetime.date(2025, 12, 31), co2=110, mass=1550).total_euros == 0
    assert malus(datetime.date(2026, 1, 1), co2=110, mass=1550).total_euros == 100 + 510
    assert "1er janvier 2026" in malus(datetime.date(2026, 1, 1), co2=110).co2_label


@pytest.mark.parametrize("day", [datetime.date(2025, 2, 28), datetime.date(2027, 1, 1), datetime.date(2031, 6, 1)])
def test_no_stale_table_is_applied(day):
    with pytest.raises(MalusUnavailable) as refused:
        malus(day, co2=150)
    assert "n'est pas encore enregistré" in refused.value.message and "malus ne peut pas être calculé" in (
        refused.value.message)
