"""Calendar arithmetic for the rules counted in months and years (a 2-month attestation, a 6-month e-photo…)."""

import calendar
import datetime

from django.utils import timezone


def add_months(value, months):
    """Return `value` (date or datetime) moved by `months` calendar months, clamped to the month's last day."""
    index = value.month - 1 + months
    year, month = value.year + index // 12, index % 12 + 1
    day = min(value.day, calendar.monthrange(year, month)[1])
    return value.replace(year=year, month=month, day=day)


def add_years(value, years):
    return add_months(value, 12 * years)


def years_between(start, end):
    """Return the number of whole years from `start` to `end` (dates)."""
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


def as_date(value):
    """Return a date from a date, a datetime or an ISO string (as stored in application.data); None if empty."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):  # its day in France (UTC is still the day before just after midnight)
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value)[:10])
