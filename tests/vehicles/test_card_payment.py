"""Issue 13: the carte grise taxes are paid by bank card at the end of the démarche (« Paiement et dépôt »), paying
and filing in one act; the timbre fiscal stays for permis and passeport."""

import datetime

import pytest
import time_machine
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.enums import Role
from tests.conftest import verified
from tests.factories import MembershipFactory
from tests.vehicles.conftest import buyer_draft, card_form, declare_cession, pay_and_submit
from titles import cards, payments, services, tasks
from titles.enums import PaymentMethod, PaymentStatus
from titles.models import Application, ApplicationEvent, GeneratedDocument, Payment, RoutingRule
from titles.presentation import wizard_steps
from titles.registry import registry
from titles.workflow import InvalidTransition, Status
from vehicles.enums import CESSION, CHANGEMENT_TITULAIRE, VEHICLE

pytestmark = [pytest.mark.django_db, pytest.mark.dates]

NOW = datetime.datetime(2026, 11, 27, 10, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))
ACCEPTED, DECLINED = "4242424242424242", "4000000000000002"


class CountingProvider(cards.EmbeddedCardProvider):
    """The embedded provider, counting what it is asked (a class attribute: each call makes a new provider)."""

    charges, refunds = [], []

    def charge(self, **kwargs):
        charge = super().charge(**kwargs)
        CountingProvider.charges.append(kwargs["amount_cents"])
        return charge

    def refund(self, reference, **kwargs):
        CountingProvider.refunds.append(reference)
        return super().refund(reference, **kwargs)


@pytest.fixture(autouse=True)
def frozen(settings):
    settings.CARD_PAYMENT_PROVIDER = "tests.vehicles.test_card_payment.CountingProvider"
    CountingProvider.charges, CountingProvider.refunds = [], []
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def draft(seller, buyer, vehicle, cert):
    _, code = declare_cession(seller, vehicle, buyer=buyer)
    return buyer_draft(buyer, vehicle, code)


@pytest.fixture
def agent(cert):
    return verified(MembershipFactory(organisation=cert, role=Role.AGENT).user)


def payment_url(application):
    return reverse("titles:payment", kwargs={"reference": application.reference})


def test_the_last_step_pays_by_card_and_files(client, draft, buyer, django_capture_on_commit_callbacks):
    steps = wizard_steps(draft)
    assert [(s.kind, s.label) for s in steps[-2:]] == [("recap", "Vérification de la demande"),
                                                       ("payment", "Paiement et dépôt")]
    assert not any("timbre" in s.label.lower() for s in steps)
    client.force_login(buyer)
    start = client.get(reverse("titles:start", kwargs={"code": CHANGEMENT_TITULAIRE})).content.decode()
    assert "se paient par carte bancaire à la dernière étape" in start and "timbre" not in start
    page = client.get(payment_url(draft)).content.decode()
    assert "Taxe régionale (Y1)" in page and "313,76 €" in page and 'autocomplete="cc-number"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(payment_url(draft), card_form())
    assert response.url == reverse("titles:detail", kwargs={"reference": draft.reference})
    draft.refresh_from_db()
    payment = draft.payments.get()
    assert draft.status == Status.SUBMITTED and draft.fee_cents == 31376
    assert (payment.method, payment.card_last4, payment.amount_cents, payment.timbre_number) == (
        PaymentMethod.CARD, "4242", 31376, None)
    assert payment.provider_reference.startswith("pay_") and CountingProvider.charges == [31376]
    submitted = ApplicationEvent.objects.get(application=draft, kind="submit")
    assert submitted.payload["card_last4"] == "4242" and submitted.payload["payment_reference"]
    means = f"payé par carte bancaire, se terminant par 4242, référence {payment.provider_reference}"
    # The récépissé, the e-mail and the file's page say how it was paid.
    receipt = GeneratedDocument.objects.get(application=draft, kind="recepisse")
    assert ["Paiement", f"313,76 €, {means}"] in receipt.context["lines"]
    assert any(means in message.body for message in mail.outbox)
    detail = client.get(reverse("titles:detail", kwargs={"reference": draft.reference})).content.decode()
    assert means in detail


def test_a_declined_card_says_so_keeps_what_was_typed_but_the_number_and_charges_nothing(client, draft, buyer):
    client.force_login(buyer)
    response = client.post(payment_url(draft), card_form(number="4000 0000 0000 0002", cvc="987"))
    page = response.content.decode()
    assert response.status_code == 402
    assert "Votre banque a refusé le paiement : aucun montant n&#x27;a été débité" in page
    assert "CAMILLE MARTIN" in page and "12/29" in page  # the holder and the expiry stay
    assert "4000" not in page and "0002" not in page and "987" not in page  # the number and the CVC do not
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT and not Payment.objects.exists() and CountingProvider.charges == []


def test_a_card_the_form_refuses_is_a_422_with_french_messages(client, draft, buyer, frozen):
    client.force_login(buyer)
    response = client.post(payment_url(draft), card_form(number="4242 4242 4242 4241", expiry="10/26", cvc="1"))
    errors = response.context["form"].errors
    assert response.status_code == 422
    assert "pas valide" in errors["number"][0] and "expirée" in errors["expiry"][0]
    assert "3 chiffres" in errors["cvc"][0] and not Payment.objects.exists()
    assert "11/26" not in str(errors)  # November 2026 is still valid the 27th
    assert client.post(payment_url(draft), card_form(expiry="11/26")).status_code == 302


def test_a_double_click_charges_once_and_moves_on(client, draft, buyer):
    """Issue 14, 1, kept for cards: the second « Payer » finds the file paid and filed, charges nothing."""
    client.force_login(buyer)
    first = client.post(payment_url(draft), card_form())
    second = client.post(payment_url(draft), card_form())
    detail = reverse("titles:detail", kwargs={"reference": draft.reference})
    assert first.url == detail and second.url == detail
    assert CountingProvider.charges == [31376] and Payment.objects.count() == 1
    # The service, called again on the filed file (two tabs that both passed the page's check), charges nothing.
    again = cards.pay_by_card_and_submit(draft, actor=buyer, card=None, token="tok_visa")
    assert again.submitted is None and again.payment == Payment.objects.get()
    assert CountingProvider.charges == [31376]


def test_a_submission_refused_after_the_charge_is_refunded_and_nothing_is_kept(draft, buyer, cert):
    RoutingRule.objects.all().delete()  # no CERT instructs it: the submission fails after the charge
    with pytest.raises(InvalidTransition) as refusal:
        pay_and_submit(draft, buyer)
    assert refusal.value.code == "routing"
    assert CountingProvider.charges == [31376] and len(CountingProvider.refunds) == 1
    assert not Payment.objects.exists() and Application.objects.get(pk=draft.pk).status == Status.DRAFT


@pytest.mark.parametrize("way_out", ["withdraw", "reject"])
def test_a_card_paid_file_that_ends_is_refunded_on_the_card(way_out, client, draft, buyer, agent,
                                                            django_capture_on_commit_callbacks):
    pay_and_submit(draft, buyer)
    payment = draft.payments.get()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        if way_out == "withdraw":
            client.force_login(buyer)
            client.post(reverse("titles:withdraw", kwargs={"reference": draft.reference}), {"confirm": "on"})
        else:
            services.apply_transition(draft, "take", actor=agent)
            services.apply_transition(draft, "reject", actor=agent, reason="Pièce illisible.")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED and payment.refund_reference.startswith("re_")
    assert CountingProvider.refunds == [payment.provider_reference]
    refund = ApplicationEvent.objects.get(application=draft, kind="card_refund")
    assert refund.payload == {"card_last4": "4242", "amount_cents": 31376, "reference": payment.refund_reference}
    assert any("remboursés sur votre carte bancaire se terminant par 4242" in m.body for m in mail.outbox)
    client.force_login(buyer)
    page = client.get(reverse("titles:detail", kwargs={"reference": draft.reference})).content.decode()
    assert "remboursé sur votre carte" in page and "Remboursé sur votre carte bancaire" in page


def test_a_refund_left_pending_by_a_broker_outage_is_asked_again_once(draft, buyer):
    pay_and_submit(draft, buyer)
    services.apply_transition(draft, "withdraw", actor=buyer)  # its after-commit task never ran
    payment = draft.payments.get()
    assert payment.status == PaymentStatus.REFUND_PENDING and CountingProvider.refunds == []
    assert tasks.requeue_card_refunds() == 1
    assert tasks.requeue_card_refunds() == 0 and tasks.refund_card_payment(payment.pk) == PaymentStatus.REFUNDED
    assert CountingProvider.refunds == [payment.provider_reference]


def test_no_card_number_is_stored_anywhere(client, draft, buyer, caplog, tmp_path,
                                           django_capture_on_commit_callbacks):
    caplog.set_level("DEBUG")
    client.force_login(buyer)
    client.post(payment_url(draft), card_form(number="4000 0000 0000 0002", cvc="731"))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(payment_url(draft), card_form(cvc="731"))
    assert Payment.objects.get().card_last4 == "4242"
    dump = tmp_path / "dump.json"
    call_command("dumpdata", output=str(dump), verbosity=0)
    stored = dump.read_text()
    # The sessions, but for the signed-in user's id (a string: '731' when the user's primary key is 731).
    signed_in = {SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY}
    stored += "".join(str({key: value for key, value in session.get_decoded().items() if key not in signed_in})
                      for session in Session.objects.all())
    stored += "".join(record.getMessage() for record in caplog.records)
    # The CVC is looked for as a stored string ("731" in JSON, '731' in a session or a log): as bare digits it
    # may be part of a primary key, a timestamp's microseconds or a hash, which says nothing about the card.
    for secret in (ACCEPTED, DECLINED, "4242 4242 4242 4242", '"cvc"', '"731"', "'731'", "cvc=731", "CVC 731"):
        assert secret not in stored, secret
    assert repr(cards.Card(ACCEPTED, 12, 2029, "731", "X")) == "Card(…4242)"


def test_a_card_payment_has_its_reference_in_the_database(draft):
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(application=draft, method=PaymentMethod.CARD, card_last4="4242", amount_cents=100,
                               issuer="embedded")


def test_a_free_cession_skips_payment(seller, vehicle, cert):
    application, _ = declare_cession(seller, vehicle)
    assert registry.get(CESSION).payment == PaymentMethod.CARD
    assert application.status == Status.SUBMITTED and not application.payments.exists()
    assert "payment" not in [step.kind for step in wizard_steps(
        services.create_draft(registry.get(CESSION), applicant=seller, filed_by=seller))]


def test_every_vehicle_procedure_pays_by_card_and_refuses_a_timbre(draft, buyer):
    assert {p.payment for p in registry.all() if p.title == VEHICLE} == {PaymentMethod.CARD}
    assert registry.get(CHANGEMENT_TITULAIRE).payment == PaymentMethod.CARD
    with pytest.raises(payments.PaymentRefused) as refusal:
        payments.buy_and_pay(draft, actor=buyer)
    assert refusal.value.code == "method" and "carte bancaire" in refusal.value.reason


def test_a_permis_is_still_paid_by_timbre(client, citizen):
    perte = registry.get("permis-perte")
    assert perte.payment == PaymentMethod.TIMBRE
    application = services.create_draft(perte, applicant=citizen, filed_by=citizen)
    steps = wizard_steps(application)
    assert [(s.kind, s.label) for s in steps[-2:]] == [("payment", "Paiement du timbre fiscal"),
                                                       ("recap", "Vérification et dépôt")]
    paid = payments.buy_and_pay(application, actor=citizen)
    assert paid.method == PaymentMethod.TIMBRE and len(paid.timbre_number) == 16 and paid.provider_reference is None
    with pytest.raises(InvalidTransition) as refusal:
        cards.pay_by_card_and_submit(application, actor=citizen, token="tok_visa")
    assert refusal.value.code == "method" and CountingProvider.charges == []
    client.force_login(citizen)
    assert "Le timbre fiscal est payé" in client.get(payment_url(application)).content.decode()


def test_the_api_schema_documents_the_card_token_and_the_402(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"]["/api/v1/files/{reference}/payment/"]["post"]
    request = schema["components"]["schemas"]["PaymentRequest"]["properties"]
    described = request["card_token"]["description"]
    assert "tok_visa" in described and "tok_declined" in described
    assert "402" in operation["responses"] and "application/problem+json" in operation["responses"]["402"]["content"]
    examples = operation["requestBody"]["content"]["application/json"]["examples"]
    assert {"card_token": "tok_visa"} in [example["value"] for example in examples.values()]
