"""Dates the procedures count from: calendar months and years, and the legal deadlines of the register."""

import datetime

from core.dates import add_months, add_years
from vehicles.enums import (
    CESSION_DEADLINE_DAYS,
    CHANGEMENT_ADRESSE_DEADLINE_MONTHS,
    CHANGEMENT_TITULAIRE_DEADLINE_MONTHS,
    CT_MAX_AGE_MONTHS,
    CT_REQUIRED_AFTER_YEARS,
    HALF_TAXE_REGIONALE_AFTER_YEARS,
)


def as_date(value):
    return value.date() if isinstance(value, datetime.datetime) else value


def cession_deadline(sold_at):
    """The last day the seller may declare the cession (R322-4: 15 days)."""
    return as_date(sold_at) + datetime.timedelta(days=CESSION_DEADLINE_DAYS)


def changement_titulaire_deadline(sold_at):
    """The last day the buyer may register the vehicle in their name (R322-5: 1 month)."""
    return add_months(as_date(sold_at), CHANGEMENT_TITULAIRE_DEADLINE_MONTHS)


def changement_adresse_deadline(moved_on):
    """The last day to report a new address (R322-7: 1 month)."""
    return add_months(as_date(moved_on), CHANGEMENT_ADRESSE_DEADLINE_MONTHS)


def older_than(first_registration, years, on):
    """Whether a vehicle first registered on `first_registration` is more than `years` years old on `on`."""
    return add_years(first_registration, years) < as_date(on)


def needs_controle_technique(first_registration, sold_on):
    return older_than(first_registration, CT_REQUIRED_AFTER_YEARS, sold_on)


def controle_technique_valid(ct_date, sold_on):
    """Whether a contrôle technique of `ct_date` is under 6 months old at the sale."""
    return add_months(ct_date, CT_MAX_AGE_MONTHS) >= as_date(sold_on)


def taxe_regionale_halved(first_registration, on):
    return older_than(first_registration, HALF_TAXE_REGIONALE_AFTER_YEARS, on)
