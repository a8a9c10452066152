"""Permis international: the paper part must reach the CERT de Nantes within 2 months, or the file is closed."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from licences import services as licence_services
from licences import tasks
from licences.enums import Code
from licences.models import InternationalPermit
from tests.licences.conftest import fill, give_licence, new_draft
from titles import services
from titles.models import ApplicationEvent, GeneratedDocument
from titles.workflow import Status

pytestmark = pytest.mark.django_db

FILED = datetime.datetime(2026, 3, 10, 9, 30, tzinfo=datetime.UTC)


@pytest.fixture
def international(citizen, certs, django_capture_on_commit_callbacks):
    give_licence(citizen)
    with time_machine.travel(FILED, tick=False):
        application = fill(new_draft(Code.INTERNATIONAL, citizen))
        with django_capture_on_commit_callbacks(execute=True):
            services.apply_transition(application, "submit", actor=citizen)
    application.refresh_from_db()
    assert application.cert == certs["nantes"] and application.fee_cents == 0
    return application


def test_the_attestation_de_depot_gives_the_deadline(international):
    attestation = GeneratedDocument.objects.get(application=international, kind="attestation-depot")
    assert attestation.valid_until == datetime.date(2026, 5, 10)


def test_not_closed_before_two_months(international):
    with time_machine.travel(datetime.datetime(2026, 5, 9, 12, 0, tzinfo=datetime.UTC), tick=False):
        assert licence_services.close_unmailed_international() == 0
    international.refresh_from_db()
    assert international.status == Status.SUBMITTED


def test_closed_automatically_after_two_months_with_an_email(international, citizen,
                                                             django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with time_machine.travel(datetime.datetime(2026, 5, 10, 10, 0, tzinfo=datetime.UTC), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.close_unmailed_international.delay().get() == {"closed": 1}
    international.refresh_from_db()
    assert international.status == Status.REJECTED
    event = ApplicationEvent.objects.get(application=international, kind="close")
    assert event.actor is None and event.actor_role == "system"
    assert "n'est pas parvenu au CERT de Nantes dans les 2 mois" in international.decision_reason
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [citizen.email]
    assert "est close" in mail.outbox[0].subject and "2 mois" in mail.outbox[0].body
    # Idempotent: a second run finds nothing to close.
    with time_machine.travel(datetime.datetime(2026, 5, 11, tzinfo=datetime.UTC), tick=False):
        assert licence_services.close_unmailed_international() == 0


def test_a_file_taken_when_the_paper_arrived_is_not_closed(international, agent):
    services.apply_transition(international, "take", actor=agent)
    with time_machine.travel(datetime.datetime(2026, 8, 1, tzinfo=datetime.UTC), tick=False):
        assert licence_services.close_unmailed_international() == 0
    international.refresh_from_db()
    assert international.status == Status.IN_REVIEW


def test_valid_three_years_and_never_beyond_the_licence(citizen, certs, agent):
    licence = give_licence(citizen)
    licence.card_valid_until = timezone.localdate() + datetime.timedelta(days=400)
    licence.save()
    application = fill(new_draft(Code.INTERNATIONAL, citizen))
    for name in ("submit", "take", "accept", "produce", "send", "deliver"):
        services.apply_transition(application, name, actor=citizen if name == "submit" else agent)
    permit = InternationalPermit.objects.get(application=application)
    assert permit.valid_until == licence.card_valid_until
