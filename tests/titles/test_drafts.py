"""Drafts untouched for 3 months are deleted after a reminder e-mail 2 weeks before."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from notifications import tasks as notification_tasks
from notifications.models import OutgoingEmail
from tests.titles.conftest import complete_draft
from titles import services
from titles.models import Application, Payment
from titles.tasks import clean_up_drafts, requeue_pending

pytestmark = pytest.mark.django_db


def test_reminder_then_deletion(procedure, citizen, django_capture_on_commit_callbacks):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        draft = complete_draft(procedure, citizen)
    with time_machine.travel(start + datetime.timedelta(days=75), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert clean_up_drafts() == {"reminded": 0, "deleted": 0}
    with time_machine.travel(start + datetime.timedelta(days=77), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert clean_up_drafts() == {"reminded": 1, "deleted": 0}
        assert "sera supprimé dans 2 semaines" in mail.outbox[-1].subject
        # Running again sends nothing more.
        with django_capture_on_commit_callbacks(execute=True):
            assert clean_up_drafts() == {"reminded": 0, "deleted": 0}
    assert len(mail.outbox) == 1
    with time_machine.travel(start + datetime.timedelta(days=91), tick=False):
        assert clean_up_drafts() == {"reminded": 0, "deleted": 1}
    assert not Application.objects.filter(pk=draft.pk).exists()
    # The timbre stays recorded (single-use forever) and is refunded.
    assert Payment.objects.get().status == "refunded"


def test_touching_a_draft_after_the_reminder_keeps_it(procedure, citizen, django_capture_on_commit_callbacks):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        draft = complete_draft(procedure, citizen)
    with time_machine.travel(start + datetime.timedelta(days=77), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            clean_up_drafts()
        services.save_step(draft, "details", {"motive": "theft", "event_date": "2026-11-01"})
    with time_machine.travel(start + datetime.timedelta(days=91), tick=False):
        assert clean_up_drafts()["deleted"] == 0
    assert Application.objects.filter(pk=draft.pk).exists()
    # The new period gets its own reminder before any deletion.
    with time_machine.travel(start + datetime.timedelta(days=77 + 91), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert clean_up_drafts() == {"reminded": 1, "deleted": 0}


def test_requeue_pending_resends_what_a_crash_left(submitted, settings):
    OutgoingEmail.objects.filter(reference=submitted.reference).update(status="pending")
    mail.outbox.clear()
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=5)):
        assert notification_tasks.requeue_pending() == {"emails": 1}
        assert requeue_pending() == {"documents": 0}
    assert len(mail.outbox) == 1


@pytest.mark.dates
def test_the_reminder_gives_the_deletion_day_in_france(procedure, citizen, django_capture_on_commit_callbacks):
    # Last touched on 15 January 2027 at 00:30 in Paris (14 January, 23:30 UTC): deleted on 15 April.
    touched = datetime.datetime(2027, 1, 15, 0, 30, tzinfo=timezone.get_default_timezone())
    with time_machine.travel(touched, tick=False):
        complete_draft(procedure, citizen)
    with time_machine.travel(touched + datetime.timedelta(days=77), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert clean_up_drafts()["reminded"] == 1
    assert "sera supprimé le 15 avril 2027" in mail.outbox[-1].body
