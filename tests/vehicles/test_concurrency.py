"""50 simultaneous changements de titulaire with the same code de cession, against PostgreSQL: each thread has
its own connection and its own complete draft, paid by card as it is filed; exactly one succeeds, the others are told
plainly and refunded."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.db import connection

from tests.vehicles.conftest import buyer_draft, declare_cession, pay_and_submit
from titles import cards
from titles.models import Application, Payment
from titles.workflow import InvalidTransition, Status
from vehicles.models import Cession, Holder, VehicleOperation

ATTEMPTS = 50

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
                       reason="needs PostgreSQL (DATABASE_URL=postgres://…): SQLite serialises every write"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_fifty_simultaneous_changements_de_titulaire_with_one_code(seller, buyer, vehicle, cert):
    _, code = declare_cession(seller, vehicle, buyer=buyer)
    drafts = [buyer_draft(buyer, vehicle, code) for _ in range(ATTEMPTS)]
    barrier = threading.Barrier(ATTEMPTS)

    def submit(application):
        try:
            barrier.wait(timeout=60)
            pay_and_submit(application, buyer)
            return "ok"
        except InvalidTransition as refused:
            return refused
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=ATTEMPTS) as pool:
        results = list(pool.map(submit, drafts))

    winners = [draft for draft, result in zip(drafts, results, strict=True) if result == "ok"]
    refusals = [result for result in results if result != "ok"]
    assert len(winners) == 1, results
    assert len(refusals) == ATTEMPTS - 1
    for refused in refusals:
        assert isinstance(refused, InvalidTransition), refused
        assert refused.code in {"cession_used", "incomplete"}
        assert "Ce code de cession a déjà été utilisé" in refused.reason
    cession = Cession.objects.get()
    assert cession.used_by_application_id == winners[0].pk
    assert Application.objects.filter(status=Status.SUBMITTED, procedure_code="changement-titulaire").count() == 1
    assert Holder.objects.current().filter(vehicle=vehicle).count() == 1
    assert VehicleOperation.objects.filter(vehicle=vehicle, kind="changement_titulaire").count() == 1
    # Only the winner paid: every loser's charge was refunded and left no payment behind.
    assert list(Payment.objects.values_list("application", flat=True)) == [winners[0].pk]


class CountingProvider(cards.EmbeddedCardProvider):
    charges = []

    def charge(self, **kwargs):
        CountingProvider.charges.append(kwargs["idempotency_key"])
        return super().charge(**kwargs)


def test_ten_simultaneous_clicks_on_payer_charge_once(seller, buyer, vehicle, cert, settings):
    """Issue 14, 1, kept for cards: the same file paid from ten requests at once (double clicks, two tabs)."""
    settings.CARD_PAYMENT_PROVIDER = "tests.vehicles.test_concurrency.CountingProvider"
    CountingProvider.charges = []
    _, code = declare_cession(seller, vehicle, buyer=buyer)
    draft = buyer_draft(buyer, vehicle, code)
    barrier = threading.Barrier(10)

    def pay(_):
        try:
            barrier.wait(timeout=60)
            return cards.pay_by_card_and_submit(draft, actor=buyer, token="tok_visa")
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(pay, range(10)))
    assert CountingProvider.charges == [draft.reference]
    assert sum(result.submitted is not None for result in results) == 1
    assert {result.payment.pk for result in results} == {Payment.objects.get().pk}
