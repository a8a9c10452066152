"""A pré-demande that ends (withdrawn, or closed when it expires undeposited) gives its appointment back at once."""

import datetime

import pytest

from identity import services
from identity.models import PreDemande, Slot
from titles import services as title_services
from titles.models import GeneratedDocument
from titles.workflow import Status

pytestmark = pytest.mark.django_db


def test_a_withdrawn_pre_demande_gives_its_slot_back(citizen, submit, slots):
    application = submit(citizen)
    services.book_slot(application, slots["toulon"].pk, actor=citizen)
    title_services.apply_transition(application, "withdraw", actor=citizen)
    slot = Slot.objects.get(pk=slots["toulon"].pk)
    assert slot.application is None and slot.booked_at is None
    assert GeneratedDocument.objects.get(application=application, kind="recapitulatif").revoked_at is not None


def test_an_expired_pre_demande_gives_its_slot_back(citizen, submit, slots):
    application = submit(citizen)
    services.book_slot(application, slots["toulon"].pk, actor=citizen)
    expiry = PreDemande.objects.get(application=application).expires_on
    assert services.expire_pre_demandes(today=expiry + datetime.timedelta(days=1)) == 1
    application.refresh_from_db()
    assert application.status == Status.REJECTED
    assert Slot.objects.get(pk=slots["toulon"].pk).application is None
