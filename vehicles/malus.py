"""The malus due when a new passenger car is first registered in France: the taxe sur les émissions de dioxyde de
carbone (CIBS L421-58 and following; WLTP grid of L421-62) and the taxe sur la masse en ordre de marche (CIBS L421-71
and following), with the cap on the two together (L421-74).

The tables are data (`vehicles/data/malus.json`), each applicable from a day (`valid_from`) until the end of its
year (`valid_until`): the loi de finances pour 2025 (art. 9) set the CO2 grids from 1 March 2025, for 2026 and for
2027; the mass grids for 2025 and from 2026 (unchanged in 2027). The table is the one in force on the day of the
first registration. On a day no table covers (before the first, or after the last one loaded, e.g. from 1 January
2028), `MalusUnavailable` says so in French, with the days the loaded tables cover: the portal never applies a stale
table. A period whose hybrids' abatement is not recorded (`null`, 2027: its condition depends on the electric
motor's power, which the portal does not collect) refuses the mass tax of a hybrid the same way. Every figure and its
source is in docs/glossary.md (« malus »).
"""

import dataclasses
import datetime
import functools
import json
from pathlib import Path

from core.formats import euros, french_date
from titles.procedures import FeeLine
from vehicles.enums import TAXE_REGIONALE_CLEAN_ENERGIES, Category, Energy

DATA = Path(__file__).resolve().parent / "data" / "malus.json"

# Hybrids (the mass tax's abatements): non-rechargeable, and rechargeable (plug-in).
HYBRIDS = frozenset({Energy.EH, Energy.GH})
PLUG_IN_HYBRIDS = frozenset({Energy.EE, Energy.GL})
# Exempt from both taxes: vehicles running on electricity, hydrogen or both only (the exonérations of the CO2 and
# mass taxes in the CIBS, L421-58 s. and L421-71 s.); the same energies as the taxe régionale's « véhicules propres ».
EXEMPT_ENERGIES = TAXE_REGIONALE_CLEAN_ENERGIES
# The malus is due on « véhicules de tourisme »: the passenger cars (genre national VP) here.
TAXED_CATEGORIES = frozenset({Category.VP})


class MalusUnavailable(LookupError):
    """No malus table is loaded for that day (or not for that vehicle): the message says so, in French."""

    def __init__(self, day, reason=None):
        self.day = day
        if reason:
            self.message = f"{reason} : le malus ne peut pas être calculé. Adressez-vous à la préfecture."
        else:
            first, last = covered_days()
            self.message = (
                f"Le barème du malus applicable le {french_date(day)} n'est pas encore enregistré sur ce portail "
                f"(les barèmes connus couvrent les immatriculations du {french_date(first)} au {french_date(last)}) "
                ": le malus ne peut pas être calculé. Adressez-vous à la préfecture, ou déposez le dossier lorsque "
                "le barème sera publié.")
        super().__init__(self.message)


@dataclasses.dataclass(frozen=True)
class Co2Table:
    valid_from: datetime.date
    valid_until: datetime.date
    source: str
    first_taxed_g: int
    cap_euros: int
    tariff_euros: tuple

    def tariff(self, grams):
        """Return the CO2 tax in euros for `grams` g/km (WLTP), from the grid; the cap above its last gram."""
        if grams < self.first_taxed_g:
            return 0
        index = grams - self.first_taxed_g
        return self.tariff_euros[index] if index < len(self.tariff_euros) else self.cap_euros


@dataclasses.dataclass(frozen=True)
class WeightTable:
    valid_from: datetime.date
    valid_until: datetime.date
    source: str
    brackets: tuple  # ((up to kg inclusive or None, euros per kg of that fraction), ...)
    # None: the hybrids' abatement of that period is not recorded (the mass tax of a hybrid is refused).
    hybrid_abatement_kg: int | None
    plug_in_abatement_kg: int | None
    plug_in_abatement_max_percent: int | None
    plug_in_min_electric_range_km: int | None

    @property
    def threshold_kg(self):
        """The first taxed kilogram."""
        return self.brackets[0][0] + 1

    def tariff(self, mass_kg):
        """Return the mass tax in euros: each fraction of the mass taxed at its marginal rate."""
        total, lower = 0, 0
        for upper, rate in self.brackets:
            top = mass_kg if upper is None else min(mass_kg, upper)
            if top > lower:
                total += (top - lower) * rate
            if upper is None or mass_kg <= upper:
                break
            lower = upper
        return total


def _date(value):
    return datetime.date.fromisoformat(value)


@functools.cache
def tables():
    """Return (CO2 tables, mass tables) loaded from vehicles/data/malus.json (read once per process)."""
    raw = json.loads(DATA.read_text(encoding="utf-8"))
    co2 = tuple(Co2Table(_date(t["valid_from"]), _date(t["valid_until"]), t["source"], t["first_taxed_g"],
                         t["cap_euros"], tuple(t["tariff_euros"])) for t in raw["co2"])
    weight = tuple(WeightTable(_date(t["valid_from"]), _date(t["valid_until"]), t["source"],
                               tuple(tuple(b) for b in t["brackets"]), t["hybrid_abatement_kg"],
                               t["plug_in_abatement_kg"], t["plug_in_abatement_max_percent"],
                               t["plug_in_min_electric_range_km"]) for t in raw["weight"])
    return co2, weight


def covered_days():
    """Return (first, last) day on which both a CO2 table and a mass table are loaded (they are contiguous)."""
    co2, weight = tables()
    return (max(co2[0].valid_from, weight[0].valid_from), min(co2[-1].valid_until, weight[-1].valid_until))


def _in_force(rows, day):
    for row in rows:
        if row.valid_from <= day <= row.valid_until:
            return row
    raise MalusUnavailable(day)


@dataclasses.dataclass(frozen=True)
class Malus:
    """What a new car owes, with the words of each line."""

    co2_euros: int
    co2_label: str
    weight_euros: int
    weight_label: str

    @property
    def total_euros(self):
        return self.co2_euros + self.weight_euros

    def fee_lines(self):
        return [FeeLine(self.co2_label, self.co2_euros * 100), FeeLine(self.weight_label, self.weight_euros * 100)]


def _kg(value):
    return f"{value:,} kg".replace(",", "\u202f")


def compute(*, category, energy, co2_g_km, mass_kg, on, electric_range_km=None):
    """Return the Malus of a new vehicle first registered on `on`; raise MalusUnavailable when no table covers
    that day. `electric_range_km`: a plug-in hybrid's electric range in town (WLTP, certificate of conformity)."""
    day = on.date() if isinstance(on, datetime.datetime) else on
    co2_table = _in_force(tables()[0], day)
    weight_table = _in_force(tables()[1], day)
    since = f"barème applicable depuis le {french_date(co2_table.valid_from)}"
    if category not in TAXED_CATEGORIES:
        why = f"non due : le malus ne concerne que les voitures particulières ({Category(category).label})"
        return Malus(0, f"Malus CO2 — {why}", 0, f"Malus au poids — {why}")
    if energy in EXEMPT_ENERGIES:
        why = f"exonéré : {Energy(energy).label}"
        return Malus(0, f"Malus CO2 — {why}", 0, f"Malus au poids — {why}")
    co2 = co2_table.tariff(co2_g_km)
    co2_label = (f"Malus CO2 — {co2_g_km} g/km (WLTP), {since}" if co2 else
                 f"Malus CO2 — {co2_g_km} g/km (WLTP) : non dû, sous le seuil de {co2_table.first_taxed_g} g/km")
    taxed_mass, abatement_words = mass_kg, ""
    if energy in HYBRIDS | PLUG_IN_HYBRIDS and weight_table.hybrid_abatement_kg is None:
        # An abatement only lowers the tax: under the threshold without it, the tax is 0 whatever the abatement.
        if weight_table.tariff(mass_kg):
            raise MalusUnavailable(day, reason=(
                f"L'abattement du malus au poids des véhicules hybrides ({Energy(energy).label}) applicable le "
                f"{french_date(day)} n'est pas enregistré sur ce portail : il dépend de la puissance du moteur "
                "électrique, que le portail ne recueille pas"))
    elif energy in PLUG_IN_HYBRIDS and (electric_range_km or 0) > weight_table.plug_in_min_electric_range_km:
        abatement = min(weight_table.plug_in_abatement_kg, mass_kg * weight_table.plug_in_abatement_max_percent // 100)
        taxed_mass -= abatement
        abatement_words = (f", abattement de {_kg(abatement)} (hybride rechargeable, autonomie électrique en ville de "
                           f"plus de {weight_table.plug_in_min_electric_range_km} km)")
    elif energy in HYBRIDS | PLUG_IN_HYBRIDS:
        taxed_mass -= weight_table.hybrid_abatement_kg
        abatement_words = f", abattement de {_kg(weight_table.hybrid_abatement_kg)} (véhicule hybride)"
    weight = weight_table.tariff(taxed_mass)
    if not weight:
        weight_label = (f"Malus au poids — {_kg(mass_kg)} en ordre de marche{abatement_words} : non dû, sous le "
                        f"seuil de {_kg(weight_table.threshold_kg)}")
    else:
        weight_label = f"Malus au poids — {_kg(mass_kg)} en ordre de marche{abatement_words}"
    # The two together never exceed the CO2 grid's maximum (L421-74): the mass tax is reduced first.
    if co2 + weight > co2_table.cap_euros:
        weight = co2_table.cap_euros - co2
        weight_label = (f"{weight_label}, réduit : malus CO2 et malus au poids plafonnés ensemble à "
                        f"{euros(co2_table.cap_euros * 100)}")
    return Malus(co2, co2_label, weight, weight_label)
