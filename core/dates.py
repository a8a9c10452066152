"""Calendar arithmetic for the rules counted in months and years (a 2-month attestation, a 6-month e-photo…).

``dateutil.relativedelta`` does it: the same day `n` months later, or the last day of a shorter month
(31/01 + 1 month = 28/02, 29/02 + 1 year = 28/02); a datetime keeps its time and time zone.
"""

from dateutil.relativedelta import relativedelta


def add_months(value, months):
    """Return `value` (date or datetime) moved by `months` calendar months, clamped to the month's last day."""
    return value + relativedelta(months=months)


def add_years(value, years):
    """Return `value` moved by `years` years (29 February gives 28 February in a common year)."""
    return value + relativedelta(years=years)
