"""Dates the procedures count from: calendar months and years, and the legal deadlines of the register."""

import datetime

from django.utils import timezone

from core.dates import add_months, add_years
from titles.dated import NotInForce, value_on
from vehicles.enums import (
    CESSION_DEADLINE_DAYS,
    CHANGEMENT_ADRESSE_DEADLINE_MONTHS,
    CHANGEMENT_TITULAIRE_DEADLINE_MONTHS,
    CONTRE_VISITE_MAX_AGE_MONTHS,
    CT_L_CATEGORY,
    CT_MAX_AGE_MONTHS,
    CT_REQUIRED_AFTER_YEARS,
    HALF_TAXE_REGIONALE_AFTER_YEARS,
    L_CATEGORY,
)


def as_date(value):
    """Return the day of `value` in France (a datetime from the database is in UTC: at 00:30 in Paris, the day
    before)."""
    if isinstance(value, datetime.datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    return value


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


def at_least(first_registration, years, on):
    """Whether a vehicle first registered on `first_registration` is `years` years old or more on `on`."""
    return add_years(first_registration, years) <= as_date(on)


def controle_technique_after_years(category, sold_on):
    """Return the age past which a sale needs a contrôle technique, or None when the vehicle needs none."""
    if category not in L_CATEGORY:
        return CT_REQUIRED_AFTER_YEARS
    try:
        return value_on(CT_L_CATEGORY, as_date(sold_on))
    except NotInForce:
        return None


def needs_controle_technique(first_registration, sold_on, category=None):
    years = controle_technique_after_years(category, sold_on)
    return years is not None and older_than(first_registration, years, sold_on)


def controle_technique_valid(ct_date, sold_on):
    """Whether a contrôle technique of `ct_date` is under 6 months old at the sale."""
    return add_months(ct_date, CT_MAX_AGE_MONTHS) >= as_date(sold_on)


def contre_visite_valid(contre_visite_date, sold_on):
    """Whether a contre-visite of `contre_visite_date` is under 2 months old at the sale."""
    return add_months(contre_visite_date, CONTRE_VISITE_MAX_AGE_MONTHS) >= as_date(sold_on)


def taxe_regionale_halved(first_registration, on):
    """Whether the vehicle is « dix années ou plus » old on `on`: its tenth anniversary is already halved."""
    return at_least(first_registration, HALF_TAXE_REGIONALE_AFTER_YEARS, on)
