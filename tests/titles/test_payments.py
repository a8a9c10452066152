"""The embedded timbre fiscal issuer."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from titles import payments, services
from titles.models import Payment, TimbreFiscal
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


def test_buying_twice_buys_one_timbre_and_the_page_moves_on(client, procedure, citizen):
    """Issue 14, 1: a second click on « Payer » bought a second timbre; the page stayed on the payment step."""
    application = services.create_draft(procedure, applicant=citizen, filed_by=citizen)
    client.force_login(citizen)
    payment_url = reverse("titles:payment", kwargs={"reference": application.reference})
    recap_url = reverse("titles:recap", kwargs={"reference": application.reference})
    first = client.post(payment_url, {"acheter": "1"})
    assert first.status_code == 302 and first.url == recap_url
    second = client.post(payment_url, {"acheter": "1"})  # the same form, posted again (double click, back button)
    assert second.status_code == 302 and second.url == recap_url
    assert TimbreFiscal.objects.filter(buyer=citizen).count() == 1
    assert Payment.objects.filter(application=application).count() == 1
    page = client.get(payment_url).content.decode()
    assert "Le timbre fiscal est payé" in page and 'name="acheter"' not in page


def test_the_services_refuse_a_second_payment_of_one_file(procedure, citizen):
    application = services.create_draft(procedure, applicant=citizen, filed_by=citizen)
    paid = payments.buy_and_pay(application, actor=citizen)
    assert payments.buy_and_pay(application, actor=citizen) == paid  # idempotent: nothing bought
    assert TimbreFiscal.objects.count() == 1
    spare = EmbeddedIssuer().buy(amount_cents=2500, buyer=citizen)
    with pytest.raises(payments.PaymentRefused) as refusal:
        payments.pay_with_timbre(application, spare, actor=citizen)
    assert refusal.value.code == "paid"
    with pytest.raises(services.AlreadyPaid):
        services.record_payment(application, timbre_number=spare, amount_cents=2500, issuer="embedded", actor=citizen)
    assert list(Payment.objects.filter(application=application)) == [paid]
