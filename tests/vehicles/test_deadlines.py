"""Deadlines shown in « Mes véhicules » and reminded by e-mail before they pass: cession (15 days), changement de
titulaire (1 month), changement d'adresse (1 month), the code de cession and the CPI."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from core.dates import add_months
from notifications.models import OutgoingEmail
from tests.vehicles.conftest import buyer_draft, declare_cession, fill, make_vehicle, owner_data, pay_and_submit
from titles import services as titles_services
from titles.registry import registry
from vehicles import deadlines, selectors, services, tasks
from vehicles.enums import CESSION, CHANGEMENT_ADRESSE
from vehicles.models import Cession

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("day", "months", "expected"), [
    ("2026-01-31", 1, "2026-02-28"), ("2028-01-31", 1, "2028-02-29"), ("2026-11-27", 1, "2026-12-27"),
    ("2026-12-15", 1, "2027-01-15"), ("2016-02-29", 120, "2026-02-28"),
])
def test_add_months(day, months, expected):
    assert add_months(datetime.date.fromisoformat(day), months) == datetime.date.fromisoformat(expected)


def test_deadlines_in_my_vehicles_and_reminders(client, seller, buyer, vehicle, cert):
    today = timezone.localdate()
    # A cession draft: sold 13 days ago, not declared yet.
    other = make_vehicle(seller, registration_number="RS-111-TV", vin="VF3CCHMZ6KW077777",
                         numero_formule="2023RS00001")
    draft = titles_services.create_draft(registry.get(CESSION), applicant=seller, filed_by=seller)
    fill(draft, "vehicule", owner_data(other, seller))
    sold = timezone.localtime() - datetime.timedelta(days=13)
    fill(draft, "cession", {"sold_on": sold.date().isoformat(), "sold_time": "10:00", "mileage": "1000"})
    # A change of address draft: moved 20 days ago.
    moving = titles_services.create_draft(registry.get(CHANGEMENT_ADRESSE), applicant=seller, filed_by=seller)
    fill(moving, "vehicule", owner_data(vehicle, seller))
    fill(moving, "adresse", {"address_line": "1 rue Neuve", "postal_code": "83400", "city": "Hyères",
                             "moved_on": (today - datetime.timedelta(days=20)).isoformat()})
    # A declared cession: the buyer has a month, the code 15 days.
    declare_cession(seller, make_vehicle(seller, registration_number="TV-222-WX", vin="VF3CCHMZ6KW088888",
                                         numero_formule="2023TV00001"), buyer=buyer)

    client.force_login(seller)
    page = client.get(reverse("vehicles:my_vehicles")).content.decode()
    assert "dernier jour pour déclarer la cession du véhicule RS-111-TV" in page and "(dans 2 jours)" in page
    assert "dernier jour pour déclarer votre nouvelle adresse du véhicule" in page
    assert "dernier jour pour faire le changement de titulaire du véhicule TV-222-WX" in page
    client.force_login(buyer)
    page = client.get(reverse("vehicles:my_vehicles")).content.decode()
    assert "Véhicules que l'on vous a cédés" in page and "TV-222-WX" in page

    # Today, only the cession draft is within 3 days of its deadline.
    assert tasks.send_deadline_reminders() == 1
    email = OutgoingEmail.objects.get(key__startswith="vehicles:reminder:")
    assert email.to == seller.email and "RS-111-TV" in email.subject and "135 €" in email.body_text
    assert tasks.send_deadline_reminders() == 0  # idempotent

    # 8 days later, the address change is due within 3 days; 13 days later, the code expires (both told). Days on
    # the calendar (from the local time): 8 × 24 hours from 00:30 on the night the clocks go back end on the 7th day.
    # The code's 15 × 24 hours end on the 14th, 15th or 16th day, when the clocks change in between.
    with time_machine.travel(timezone.localtime() + datetime.timedelta(days=8)):
        assert services.send_deadline_reminders() == 1
    with time_machine.travel(timezone.localtime() + datetime.timedelta(days=13)):
        assert services.send_deadline_reminders() == 2
    subjects = sorted(e.subject for e in OutgoingEmail.objects.filter(key__startswith="vehicles:reminder:"))
    assert sum("code de cession" in s for s in subjects) == 2
    assert sum("nouvelle adresse" in s for s in subjects) == 1
    recipients = {e.to for e in OutgoingEmail.objects.filter(subject__contains="code de cession")}
    assert recipients == {seller.email, buyer.email}
    # 28 days later: the buyer's changement de titulaire is due… but the code has expired: nothing to do then.
    with time_machine.travel(timezone.localtime() + datetime.timedelta(days=28)):
        assert services.send_deadline_reminders() == 0


def test_the_cpi_expiry_is_reminded(client, seller, buyer, vehicle, cert, django_capture_on_commit_callbacks):
    _, code = declare_cession(seller, vehicle, buyer=buyer)
    application = buyer_draft(buyer, vehicle, code)
    with django_capture_on_commit_callbacks(execute=True):
        pay_and_submit(application, buyer)
    with time_machine.travel(timezone.localtime() + datetime.timedelta(days=28)):  # calendar days, as above
        deadlines = selectors.deadlines(user=buyer)
        assert any("certificat provisoire" in item.what for item in deadlines)
        client.force_login(buyer)
        assert "fin de validité de votre certificat provisoire" in client.get(
            reverse("vehicles:my_vehicles")).content.decode()
        assert services.send_deadline_reminders() == 1
    email = OutgoingEmail.objects.get(key__startswith="vehicles:reminder:cpi")
    assert email.to == buyer.email and application.reference in email.body_text


def test_my_vehicles_query_count_is_constant(client, seller, buyer, cert, django_assert_max_num_queries):
    client.force_login(seller)
    make_vehicle(seller)
    client.get(reverse("vehicles:my_vehicles"))
    with django_assert_max_num_queries(20) as first:
        client.get(reverse("vehicles:my_vehicles"))
    for n in range(1, 6):
        other = make_vehicle(seller, registration_number=f"WX-{n:03d}-YZ", vin=f"VF3CCHMZ6KW2{n:05d}",
                             numero_formule=f"2023WX{n:05d}")
        if n % 2:
            declare_cession(seller, other, buyer=buyer)
    with django_assert_max_num_queries(len(first.captured_queries)):
        client.get(reverse("vehicles:my_vehicles"))


@pytest.mark.dates
def test_the_deadlines_count_from_the_day_of_the_sale_in_france():
    # Sold on 1 December at 00:30 in Paris: the database gives back 30 November, 23:30 UTC.
    sold_at = datetime.datetime(2026, 12, 1, 0, 30, tzinfo=timezone.get_default_timezone()).astimezone(datetime.UTC)
    assert deadlines.cession_deadline(sold_at) == datetime.date(2026, 12, 16)
    assert deadlines.changement_titulaire_deadline(sold_at) == datetime.date(2027, 1, 1)
    # First registered on 30 November 2022: more than 4 years old on 1 December 2026, a contrôle technique is due,
    # and one of 31 May 2026 is more than 6 months old.
    assert deadlines.needs_controle_technique(datetime.date(2022, 11, 30), sold_at)
    assert not deadlines.controle_technique_valid(datetime.date(2026, 5, 31), sold_at)


@pytest.mark.dates
def test_the_page_gives_the_day_the_code_de_cession_expires_across_a_change_of_time(seller, buyer, cert):
    # Declared on 27 March 2027 at 23:30; the clocks go forward that night: 15 × 24 hours end on 12 April at 00:30.
    declared = datetime.datetime(2027, 3, 27, 23, 30, tzinfo=timezone.get_default_timezone())
    with time_machine.travel(declared, tick=False):
        application, _ = declare_cession(seller, make_vehicle(seller), buyer=buyer)
        summary = application.procedure.status_summary(application)
    expires = timezone.localtime(Cession.objects.get(application=application).code_expires_at)
    assert expires.date() == datetime.date(2027, 4, 12)
    assert "valable jusqu'au 12 avril 2027" in summary.detail
