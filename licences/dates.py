"""Dates of the licence rules: whole years between two dates, and a date from what a form or a draft holds.

Months and years are added with `core.dates` (``dateutil.relativedelta``)."""

import datetime

from django.utils import timezone


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
