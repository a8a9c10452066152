"""The malus of a new passenger car, from the dated tables of vehicles/data/malus.json: the CO2 grid (WLTP) at its
thresholds and caps, the mass tax by fractions, the hybrids' abatements, the exemption of electric and hydrogen
vehicles, the cap on the two together, the switch from the 2025 table to the 2026 one and from 2026 to 2027, the
refusal on a day no table covers (the message names the days covered, from the loaded tables), and the refusal of a
hybrid's mass tax in 2027 (its abatement is not recorded)."""

import datetime
import itertools

import pytest

from vehicles.enums import Category, Energy
from vehicles.malus import MalusUnavailable, compute, tables

IN_2025 = datetime.date(2025, 6, 15)
IN_2026 = datetime.date(2026, 6, 15)
IN_2027 = datetime.date(2027, 6, 15)


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
    # 2027: first taxed at 103 g/km, the 2026 grid 5 g/km lower, then 83 022, 86 133, 89 244 €; 90 000 € from 190.
    (IN_2027, 102, 0), (IN_2027, 103, 50), (IN_2027, 109, 190), (IN_2027, 150, 5715), (IN_2027, 151, 6126),
    (IN_2027, 186, 79911), (IN_2027, 187, 83022), (IN_2027, 189, 89244), (IN_2027, 190, 90000), (IN_2027, 260, 90000),
])
def test_the_co2_grid_at_its_thresholds_and_caps(on, co2, euros):
    assert malus(on, co2=co2).co2_euros == euros


def test_each_grid_is_complete_gram_by_gram():
    co2, _ = tables()
    for table, last in zip(co2, (192, 191, 189), strict=True):
        assert table.first_taxed_g + len(table.tariff_euros) - 1 == last
        assert list(table.tariff_euros) == sorted(table.tariff_euros) and table.tariff_euros[-1] < table.cap_euros
    # Each year's grid is the same tariff sequence from its first taxed gram, longer as the cap rises.
    assert co2[0].tariff_euros == co2[1].tariff_euros[:80] and co2[1].tariff_euros == co2[2].tariff_euros[:84]


@pytest.mark.parametrize(("on", "mass", "euros"), [
    (IN_2025, 1599, 0), (IN_2025, 1600, 10), (IN_2025, 1800, 2015), (IN_2025, 2200, 2000 + 1500 + 2000 + 2500 + 3030),
    (IN_2026, 1499, 0), (IN_2026, 1500, 10), (IN_2026, 1700, 2015), (IN_2026, 2100, 2000 + 1500 + 2000 + 2500 + 3030),
    (IN_2027, 1499, 0), (IN_2027, 1500, 10), (IN_2027, 1700, 2015), (IN_2027, 2100, 2000 + 1500 + 2000 + 2500 + 3030),
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


def test_hybrids_mass_tax_is_refused_in_2027():
    # The 2027 abatement of hybrids depends on the electric motor's power, which the portal does not collect.
    for energy in (Energy.EH, Energy.GH, Energy.EE, Energy.GL):
        with pytest.raises(MalusUnavailable) as refused:
            malus(IN_2027, co2=120, mass=1600, energy=energy, electric_range_km=60)
        assert "abattement du malus au poids des véhicules hybrides" in refused.value.message
        assert "puissance du moteur électrique" in refused.value.message
        # Under the threshold even without an abatement: nothing to decide, the mass tax is 0.
        light = malus(IN_2027, co2=120, mass=1499, energy=energy, electric_range_km=60)
        assert light.weight_euros == 0 and light.co2_euros == 540
    # The last day of 2026 keeps the 2026 abatements.
    assert malus(datetime.date(2026, 12, 31), mass=1600, energy=Energy.EH).weight_euros == 10


def test_electric_and_hydrogen_vehicles_are_exempt_from_both():
    # Also from 1 July 2026 (the LF 2025's mass tax on some electric cars was withdrawn by the LF 2026) and in 2027.
    for energy, day in itertools.product((Energy.EL, Energy.H2), (IN_2026, datetime.date(2026, 7, 1), IN_2027)):
        exempt = malus(day, co2=0, mass=2400, energy=energy)
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
    capped_2027 = malus(IN_2027, co2=188, mass=2100)
    assert capped_2027.co2_euros == 86133 and capped_2027.total_euros == 90000


def test_the_table_switches_on_the_first_of_january():
    # The day of the first registration decides (the journey, time frozen, is in test_neuf.py).
    assert malus(datetime.date(2025, 12, 31), co2=110, mass=1550).total_euros == 0
    assert malus(datetime.date(2026, 1, 1), co2=110, mass=1550).total_euros == 100 + 510
    assert "1er janvier 2026" in malus(datetime.date(2026, 1, 1), co2=110).co2_label
    # 2026 → 2027: 105 g/km is taxed from 1 January 2027 (first taxed gram 103).
    assert malus(datetime.date(2026, 12, 31), co2=105).co2_euros == 0
    in_2027 = malus(datetime.date(2027, 1, 1), co2=105)
    assert in_2027.co2_euros == 100 and "1er janvier 2027" in in_2027.co2_label


@pytest.mark.parametrize("day", [datetime.date(2025, 2, 28), datetime.date(2028, 1, 1), datetime.date(2031, 6, 1)])
def test_no_stale_table_is_applied(day):
    with pytest.raises(MalusUnavailable) as refused:
        malus(day, co2=150)
    assert "n'est pas encore enregistré" in refused.value.message and "malus ne peut pas être calculé" in (
        refused.value.message)
    # The days covered come from the loaded tables.
    assert "du 1er mars 2025 au 31 décembre 2027" in refused.value.message


def test_a_registration_in_2027_is_computed_on_a_frozen_day(time_machine):
    # Today frozen in the last days of 2026: a car first registered on 4 January 2027 owes the 2027 grid.
    time_machine.move_to(datetime.datetime(2026, 12, 28, 10, 0, tzinfo=datetime.UTC))
    bill = malus(datetime.date(2027, 1, 4), co2=140, mass=1750)
    assert bill.co2_euros == 3119 and bill.weight_euros == 2000 + 51 * 15
