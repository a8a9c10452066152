"""What a certificate costs, line by line (immatriculation.ants.gouv.fr « Coût et taxes additionnelles »):
Y1 taxe régionale = fiscal horsepower × the rate of the région in force on the day (data: TaxeRegionaleRate, dated),
with its exemptions and halvings (CIBS L421-46 and following); Y2 formation professionnelle on utility vehicles;
Y4 taxe fixe; Y5 redevance d'acheminement. Every rule and its source: docs/glossary.md."""

from decimal import ROUND_HALF_UP, Decimal

from core.formats import euros, french_date
from titles.dated import NotInForce, in_force
from titles.procedures import FeeLine
from vehicles.deadlines import as_date, taxe_regionale_halved
from vehicles.enums import (
    CLEAN_VEHICLES_REGIONAL_CHOICE_FROM,
    HALF_RATE_CATEGORIES,
    MOPEDS,
    REDEVANCE_ACHEMINEMENT_CENTS,
    TAXE_FIXE_CENTS,
    TAXE_REGIONALE_CLEAN_ENERGIES,
    Y2_BRACKETS,
    Y2_CATEGORIES,
    Category,
    CleanVehicleRate,
)
from vehicles.models import TaxeRegionaleRate


class RateUnknown(LookupError):
    """No rate of taxe régionale is recorded for this département on that day."""


def rate_for(departement, on):
    """Return the TaxeRegionaleRate of the département's région in force on `on` (its latest `valid_from`)."""
    for rate in TaxeRegionaleRate.objects.filter(valid_from__lte=as_date(on)).order_by("-valid_from"):
        if departement in rate.departements:
            return rate
    raise RateUnknown(departement)


def _round(cents):
    return int(Decimal(cents).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def taxe_regionale_line(vehicle, departement, on):
    """Return the Y1 line for `vehicle` registered at an address of `departement` on date `on`."""
    clean = vehicle.energy in TAXE_REGIONALE_CLEAN_ENERGIES
    if vehicle.category in MOPEDS:
        return FeeLine("Taxe régionale (Y1) — exonérée : cyclomoteur (catégorie L1e ou L2e)", 0)
    if clean and as_date(on) < CLEAN_VEHICLES_REGIONAL_CHOICE_FROM:
        return FeeLine(f"Taxe régionale (Y1) — exonérée : {vehicle.get_energy_display()}", 0)
    rate = rate_for(departement, on)
    if clean and rate.clean_vehicles == CleanVehicleRate.EXEMPT:
        return FeeLine(f"Taxe régionale (Y1) — exonérée par la région ({rate.region_name}) : "
                       f"{vehicle.get_energy_display()}", 0)
    cents = Decimal(vehicle.fiscal_horsepower * rate.rate_cents)
    label = (f"Taxe régionale (Y1) — {vehicle.fiscal_horsepower} CV × {euros(rate.rate_cents)} "
             f"({rate.region_name}, tarif applicable depuis le {french_date(rate.valid_from)})")
    # One halving at most: a motorcycle is not halved again after 10 years (CIBS L421-46).
    if vehicle.category in HALF_RATE_CATEGORIES:
        cents, label = cents / 2, f"{label}, demi-tarif : {Category(vehicle.category).label}"
    elif clean and rate.clean_vehicles == CleanVehicleRate.HALF:
        cents, label = cents / 2, f"{label}, demi-tarif voté par la région pour les véhicules propres"
    elif taxe_regionale_halved(vehicle.first_registration_date, on):
        cents, label = cents / 2, f"{label}, réduite de moitié : véhicule de 10 ans ou plus"
    return FeeLine(label, _round(cents))


def formation_professionnelle_line(vehicle, on):
    """Return the Y2 line of a goods or passenger transport vehicle (by its PTAC), or None for any other vehicle."""
    if vehicle.category not in Y2_CATEGORIES:
        return None
    try:
        brackets = in_force(Y2_BRACKETS, on).value
    except NotInForce:
        return None
    # A camionnette is 3,5 t at most; a camion or a bus whose PTAC the register lacks is taken as over 3,5 t (the
    # lowest such bracket, said on the line).
    mass = vehicle.max_laden_mass_kg or (3500 if vehicle.category == Category.CTTE else 3501)
    cents = next(cents for limit, cents in brackets if limit is None or mass <= limit)
    shown = f"PTAC {vehicle.max_laden_mass_kg:,} kg".replace(",", "\u202f") if vehicle.max_laden_mass_kg else (
        "PTAC de 3,5 t au plus" if vehicle.category == Category.CTTE else "PTAC non renseigné, plus de 3,5 t")
    return FeeLine(f"Taxe pour la formation professionnelle dans les transports (Y2) — {shown}", cents)


def fixed_lines():
    return [
        FeeLine("Taxe fixe (Y4)", TAXE_FIXE_CENTS),
        FeeLine("Redevance d'acheminement du certificat (Y5)", REDEVANCE_ACHEMINEMENT_CENTS),
    ]


def certificate_lines(vehicle, departement, on):
    """Return every line of a new certificate in a new holder's name (changement de titulaire)."""
    y2 = formation_professionnelle_line(vehicle, on)
    return [taxe_regionale_line(vehicle, departement, on), *([y2] if y2 else []), *fixed_lines()]
