"""Calendar arithmetic of the licence rules (`licences.dates`)."""

import datetime

import pytest
from django.utils import timezone

from core.dates import add_months, add_years
from licences.dates import as_date, years_between

pytestmark = pytest.mark.dates


def test_a_moment_is_a_day_in_france():
    # 15 January 2027 at 00:30 in Paris is still 14 January in UTC, as the database gives it back.
    moment = datetime.datetime(2027, 1, 15, 0, 30, tzinfo=timezone.get_default_timezone())
    assert as_date(moment.astimezone(datetime.UTC)) == datetime.date(2027, 1, 15)
    assert as_date("2027-01-15") == as_date(datetime.date(2027, 1, 15)) == datetime.date(2027, 1, 15)


def test_29_february():
    leap_day = datetime.date(2028, 2, 29)
    assert add_years(leap_day, 1) == datetime.date(2029, 2, 28)
    assert add_years(leap_day, -4) == datetime.date(2024, 2, 29)
    assert add_months(leap_day, 12) == datetime.date(2029, 2, 28)
    assert add_months(datetime.date(2027, 1, 31), 1) == datetime.date(2027, 2, 28)
    # Born on 29 February 2012: 18 on 1 March 2030, not on 28 February.
    assert years_between(datetime.date(2012, 2, 29), datetime.date(2030, 2, 28)) == 17
    assert years_between(datetime.date(2012, 2, 29), datetime.date(2030, 3, 1)) == 18
    assert years_between(datetime.date(2010, 2, 28), leap_day) == 18
