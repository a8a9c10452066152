import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import demo as accounts_demo
from accounts.models import Membership, User
from identity import demo
from identity.enums import MAIRIE_AGENT
from identity.models import Mairie, Slot
from identity.services import book_slot, staff_mairies

pytestmark = pytest.mark.django_db


def load():
    out = io.StringIO()
    accounts_demo.load(out)
    demo.load(out)
    return out.getvalue()


def test_demo_mairies_and_slots_are_idempotent(citizen, submit):
    load()
    assert Mairie.objects.filter(departement="83").count() == 5
    assert Mairie.objects.equipped().count() == 4
    assert not Mairie.objects.get(city="Cotignac").is_equipped
    slots = Slot.objects.all()
    # 15 weekdays in 3 weeks, 10 slots a morning and 10 an afternoon, 4 equipped mairies.
    assert slots.count() == 15 * 20 * 4
    assert all(timezone.localtime(slot.start).weekday() < 5 for slot in slots)
    hours = {timezone.localtime(slot.start).strftime("%H:%M") for slot in slots}
    assert min(hours) == "09:00" and max(hours) == "16:15" and "11:15" in hours and "11:30" not in hours
    assert "12:00" not in hours and "14:00" in hours

    # Loaded again: same rows, and a booking survives.
    application = submit(citizen)
    slot = Slot.objects.filter(mairie__city="Toulon").order_by("start").first()
    book_slot(application, slot.pk, actor=citizen)
    load()
    assert Slot.objects.count() == 15 * 20 * 4
    slot.refresh_from_db()
    assert slot.application == application


def test_demo_mairie_agent_signs_in_with_the_shared_codes():
    printed = load()
    assert "mairie@demo.test" in printed
    user = User.objects.get(email="mairie@demo.test")
    assert {m.name for m in staff_mairies(user)} == {"Mairie de Toulon", "Mairie de Hyères"}
    assert Membership.objects.filter(user=user, role=MAIRIE_AGENT, organisation__kind="mairie").count() == 2
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": "mairie@demo.test",
                                                       "password": accounts_demo.DEMO_PASSWORD})
    assert response.status_code == 302
    response = client.get(reverse("identity:desk"))
    assert response.status_code == 302 and reverse("accounts:otp_verify") in response.url
    client.post(reverse("accounts:otp_verify") + "?next=" + reverse("identity:desk"),
                {"token": accounts_demo.DEMO_STATIC_CODES[0]})
    assert client.get(reverse("identity:desk")).status_code == 200
