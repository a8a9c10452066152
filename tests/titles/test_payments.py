"""The embedded timbre fiscal issuer."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from titles.payments import EmbeddedIssuer

pytestmark = [pytest.mark.django_db, pytest.mark.dates]


def at(day, hour, minute=0):
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=timezone.get_default_timezone())


@pytest.mark.parametrize(("bought", "last_valid_day"), [
    ("2026-12-05", "2027-12-05"),
    ("2027-03-01", "2028-03-01"),  # 12 months: 365 days would end on 29 February 2028
    ("2028-01-10", "2029-01-10"),
    ("2028-02-29", "2029-02-28"),
])
def test_a_timbre_is_valid_12_months(citizen, bought, last_valid_day):
    issuer = EmbeddedIssuer()
    with time_machine.travel(at(datetime.date.fromisoformat(bought), 10), tick=False):
        number = issuer.buy(amount_cents=2500, buyer=citizen)
    last_day = datetime.date.fromisoformat(last_valid_day)
    with time_machine.travel(at(last_day, 23, 30), tick=False):
        assert issuer.check(number, amount_cents=2500).ok
    with time_machine.travel(at(last_day + datetime.timedelta(days=1), 0, 30), tick=False):
        refused = issuer.check(number, amount_cents=2500)
    assert not refused.ok and "plus de 12 mois" in refused.message
