"""Appointments: one slot is one file, never two; the citizen sees and books only for their own pré-demande."""

import datetime
import threading

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from identity import services
from identity.models import Slot
from identity.selectors import slot_listing
from identity.services import AppointmentRefused
from tests.factories import UserFactory
from tests.identity.conftest import CNI, slot_at
from titles import services as title_services
from titles.models import ApplicationEvent

pytestmark = pytest.mark.django_db


def test_a_booked_slot_is_refused_to_a_second_file(citizen, other_citizen, submit, slots):
    first, second = submit(citizen), submit(other_citizen)
    services.book_slot(first, slots["toulon"].pk, actor=citizen)
    with pytest.raises(AppointmentRefused) as refused:
        services.book_slot(second, slots["toulon"].pk, actor=other_citizen)
    assert refused.value.code == "taken"
    slots["toulon"].refresh_from_db()
    assert slots["toulon"].application == first
    assert not Slot.objects.filter(application=second).exists()


def test_double_booking_over_http_answers_409(client, citizen, other_citizen, submit, slots):
    first, second = submit(citizen), submit(other_citizen)
    services.book_slot(first, slots["toulon"].pk, actor=citizen)
    client.force_login(other_citizen)
    response = client.post(reverse("identity:appointment", kwargs={"reference": second.reference}),
                           {"slot": slots["toulon"].pk})
    assert response.status_code == 409 and "vient d'être réservé" in response.content.decode()


def test_a_slot_of_a_withdrawn_file_is_free_again(citizen, other_citizen, submit, slots):
    first, second = submit(citizen), submit(other_citizen)
    services.book_slot(first, slots["toulon"].pk, actor=citizen)
    title_services.apply_transition(first, "withdraw", actor=citizen)
    assert Slot.objects.free().filter(pk=slots["toulon"].pk).exists()
    assert services.book_slot(second, slots["toulon"].pk, actor=other_citizen).application == second


def test_one_appointment_per_file_moving_frees_the_old_slot(citizen, submit, slots):
    application = submit(citizen)
    services.book_slot(application, slots["toulon"].pk, actor=citizen)
    services.book_slot(application, slots["toulon_later"].pk, actor=citizen)
    assert list(Slot.objects.filter(application=application)) == [slots["toulon_later"]]
    assert Slot.objects.get(pk=slots["toulon"].pk).application is None
    assert services.book_slot(application, slots["toulon_later"].pk, actor=citizen) == slots["toulon_later"]
    kinds = list(ApplicationEvent.objects.filter(application=application, kind__startswith="appointment")
                 .values_list("kind", flat=True))
    assert kinds == ["appointment_booked", "appointment_booked"]  # booking the same slot again writes nothing


def test_only_an_equipped_mairie(citizen, submit, slots):
    application = submit(citizen)
    with pytest.raises(AppointmentRefused) as refused:
        services.book_slot(application, slots["cotignac"].pk, actor=citizen)
    assert refused.value.code == "mairie"


def test_any_equipped_mairie_in_france_takes_the_demande(citizen, submit, slots):
    """A Var resident books at Nice (Alpes-Maritimes): the search by commune spans départements."""
    application = submit(citizen)
    assert "Mairie de Nice" not in [g["mairie"].name for g in slot_listing(application)["groups"]]
    for search in ("nice", "06"):
        assert [g["mairie"].name for g in slot_listing(application, commune=search)["groups"]] == ["Mairie de Nice"]
    assert services.book_slot(application, slots["nice"].pk, actor=citizen) == slots["nice"]


def test_past_slots_and_slots_after_expiry_are_refused(citizen, submit, mairies):
    application = submit(citizen)
    past = slot_at(mairies["toulon"], days=-1)
    with pytest.raises(AppointmentRefused) as refused:
        services.book_slot(application, past.pk, actor=citizen)
    assert refused.value.code == "past"
    late = slot_at(mairies["toulon"], days=(application.pre_demande.expires_on - timezone.localdate()).days + 1)
    with pytest.raises(AppointmentRefused) as refused:
        services.book_slot(application, late.pk, actor=citizen)
    assert refused.value.code == "after_expiry"


def test_a_cancelled_appointment_frees_the_slot_and_a_past_one_cannot_be(citizen, submit, slots, mairies):
    application = submit(citizen)
    services.book_slot(application, slots["toulon"].pk, actor=citizen)
    services.cancel_appointment(application, actor=citizen)
    assert Slot.objects.get(pk=slots["toulon"].pk).application is None
    with pytest.raises(AppointmentRefused):
        services.cancel_appointment(application, actor=citizen)
    services.book_slot(application, slots["toulon"].pk, actor=citizen)
    later = timezone.now() + datetime.timedelta(days=5)
    with pytest.raises(AppointmentRefused) as refused:
        services.cancel_appointment(application, actor=citizen, now=later)
    assert refused.value.code == "past"


def test_another_citizen_cannot_see_or_book_for_a_pre_demande(client, citizen, other_citizen, submit, slots):
    application = submit(citizen)
    services.book_slot(application, slots["toulon"].pk, actor=citizen)
    client.force_login(other_citizen)
    for name in ("pre_demande", "appointment", "cancel"):
        url = reverse(f"identity:{name}", kwargs={"reference": application.reference})
        assert client.get(url).status_code == 404, name
        assert client.post(url, {"slot": slots["hyeres"].pk, "confirm": "on"}).status_code == 404, name
    slots["toulon"].refresh_from_db()
    assert slots["toulon"].application == application
    assert not Slot.objects.filter(pk=slots["hyeres"].pk, application__isnull=False).exists()
    with pytest.raises(AppointmentRefused) as refused:
        services.book_slot(application, slots["hyeres"].pk, actor=other_citizen)
    assert refused.value.code == "actor"


def test_a_cert_agent_cannot_book_on_the_citizen_pages(client, citizen, agent, submit, slots):
    application = submit(citizen)
    client.force_login(agent)
    assert client.get(reverse("identity:pre_demande", kwargs={"reference": application.reference})).status_code == 404


def test_anonymous_users_are_sent_to_the_login_page(client, citizen, submit):
    application = submit(citizen)
    response = client.get(reverse("identity:appointment", kwargs={"reference": application.reference}))
    assert response.status_code == 302 and reverse("accounts:login") in response.url


def test_slot_listing_filters_by_commune_and_goes_week_by_week(citizen, submit, mairies):
    application = submit(citizen)
    today = timezone.localdate()
    monday = today + datetime.timedelta(days=14 - today.weekday())  # the Monday in two weeks' time
    days = (monday - today).days
    toulon = slot_at(mairies["toulon"], days=days, hour=9)
    hyeres = slot_at(mairies["hyeres"], days=days + 1, hour=10)
    week_after = slot_at(mairies["hyeres"], days=days + 7, hour=11)
    slot_at(mairies["cotignac"], days=days, hour=9)  # not equipped
    slot_at(mairies["nice"], days=days, hour=9)  # another département

    listing = slot_listing(application)
    assert listing["week"] == monday and listing["previous_week"] is None
    assert listing["next_week"] == monday + datetime.timedelta(days=7)
    assert [(g["mairie"].name, [slot for _, day in g["days"] for slot in day]) for g in listing["groups"]] == [
        ("Mairie de Hyères", [hyeres]),
        ("Mairie de Toulon", [toulon]),
    ]
    assert [g["mairie"].name for g in slot_listing(application, commune="toul")["groups"]] == ["Mairie de Toulon"]
    assert [g["mairie"].name for g in slot_listing(application, commune="83400")["groups"]] == ["Mairie de Hyères"]
    later = slot_listing(application, week=listing["next_week"] + datetime.timedelta(days=2))
    assert [slot for g in later["groups"] for _, day in g["days"] for slot in day] == [week_after]
    assert later["previous_week"] == monday and later["next_week"] is None
    # A booked slot is no longer offered.
    services.book_slot(application, toulon.pk, actor=citizen)
    assert [g["mairie"].name for g in slot_listing(application)["groups"]] == ["Mairie de Hyères"]


@time_machine.travel("2026-11-23 08:00 +0100", tick=False)  # a Monday: the slots below fall in one week
def test_the_appointment_page_makes_a_bounded_number_of_queries(client, citizen, submit, mairies):
    application = submit(citizen)
    client.force_login(citizen)
    url = reverse("identity:appointment", kwargs={"reference": application.reference})
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    # Monday to Friday of the week after next: the page shows one week, whatever day of the week today is.
    monday = 14 - timezone.localdate().weekday()  # in days from today
    for day in range(monday, monday + 5):
        for hour in (9, 10, 11, 14, 15):
            slot_at(mairies["toulon"], days=day, hour=hour)
            slot_at(mairies["hyeres"], days=day, hour=hour, minute=15)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).content.decode()
    assert len(many) == len(few)
    assert page.count('name="slot"') == 50


@pytest.mark.postgres
@pytest.mark.skipif(settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
                    reason="needs PostgreSQL (DATABASE_URL=postgres://…): SQLite serialises writers instead of "
                           "locking rows")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_bookings_of_one_slot_on_postgresql(cert, mairies, django_capture_on_commit_callbacks):
    """Eight citizens click the same slot at the same moment: one gets it, seven are told it is taken."""
    from tests.identity.conftest import fill, pay
    from titles.registry import registry

    slot = slot_at(mairies["toulon"])
    applications = []
    for _ in range(8):
        person = UserFactory()
        application = pay(fill(title_services.create_draft(registry.get(CNI), applicant=person, filed_by=person)))
        title_services.apply_transition(application, "submit", actor=person)
        applications.append(application)
    barrier = threading.Barrier(len(applications))
    outcomes = []

    def book(application):
        try:
            barrier.wait()
            services.book_slot(application, slot.pk, actor=application.applicant)
            outcomes.append("booked")
        except AppointmentRefused as refusal:
            outcomes.append(refusal.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=book, args=(a,)) for a in applications]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["booked"] + ["taken"] * 7
    slot.refresh_from_db()
    assert slot.application_id in {a.pk for a in applications}
    assert ApplicationEvent.objects.filter(kind="appointment_booked").count() == 1


@pytest.mark.dates
def test_a_week_with_saturday_slots_runs_to_the_saturday(client, citizen, submit, mairies):
    application = submit(citizen)
    monday = 14 - timezone.localdate().weekday()  # in days from today: the Monday after next
    tuesday = slot_at(mairies["toulon"], days=monday + 1, hour=9)
    saturday = slot_at(mairies["toulon"], days=monday + 5, hour=10)
    listing = slot_listing(application)
    assert [slot for g in listing["groups"] for _, day in g["days"] for slot in day] == [tuesday, saturday]
    assert listing["week_last_day"] == timezone.localtime(saturday.start).date()
    client.force_login(citizen)
    page = client.get(reverse("identity:appointment", kwargs={"reference": application.reference})).content.decode()
    assert f"au {date_format(listing['week_last_day'], 'j F Y')}</h2>" in page
