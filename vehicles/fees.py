"""What a certificate costs, line by line (immatriculation.ants.gouv.fr « Coût et taxes additionnelles »):
Y1 taxe régionale = fiscal horsepower × the région's rate for the year (data: TaxeRegionaleRate), halved for a
vehicle over 10 years, nil for electric and hydrogen vehicles; Y4 taxe fixe; Y5 redevance d'acheminement."""

from decimal import ROUND_HALF_UP, Decimal

from core.formats import euros
from titles.procedures import FeeLine
from vehicles.deadlines import taxe_regionale_halved
from vehicles.enums import REDEVANCE_ACHEMINEMENT_CENTS, TAXE_FIXE_CENTS, TAXE_REGIONALE_EXEMPT_ENERGIES
from vehicles.models import TaxeRegionaleRate


class RateUnknown(LookupError):
    """No rate of taxe régionale is recorded for this département."""


def rate_for(departement, on):
    """Return the TaxeRegionaleRate of the département's région for the year of `on` (or the latest before)."""
    rates = TaxeRegionaleRate.objects.filter(year__lte=on.year).order_by("-year")
    for rate in rates:
        if departement in rate.departements:
            return rate
    raise RateUnknown(departement)


def taxe_regionale_line(vehicle, departement, on):
    """Return the Y1 line for `vehicle` registered at an address of `departement` on date `on`."""
    if vehicle.energy in TAXE_REGIONALE_EXEMPT_ENERGIES:
        return FeeLine(f"Taxe régionale (Y1) — exonérée : {vehicle.get_energy_display()}", 0)
    rate = rate_for(departement, on)
    cents = Decimal(vehicle.fiscal_horsepower * rate.rate_cents)
    label = (f"Taxe régionale (Y1) — {vehicle.fiscal_horsepower} CV × {euros(rate.rate_cents)} "
             f"({rate.region_name}, {rate.year})")
    if taxe_regionale_halved(vehicle.first_registration_date, on):
        cents = cents / 2
        label += ", réduite de moitié : véhicule de plus de 10 ans"
    return FeeLine(label, int(cents.quantize(Decimal(1), rounding=ROUND_HALF_UP)))


def fixed_lines():
    return [
        FeeLine("Taxe fixe (Y4)", TAXE_FIXE_CENTS),
        FeeLine("Redevance d'acheminement du certificat (Y5)", REDEVANCE_ACHEMINEMENT_CENTS),
    ]


def certificate_lines(vehicle, departement, on):
    """Return every line of a new certificate in a new holder's name (changement de titulaire)."""
    return [taxe_regionale_line(vehicle, departement, on), *fixed_lines()]
