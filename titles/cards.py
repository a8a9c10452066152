"""Payment by bank card at the end of the démarche (the carte grise taxes): the provider interface, the embedded
simulated provider, paying-and-submitting as one act, and the refund of a card payment through an outbox.

A real deployment plugs the payment provider's client behind the same interface (setting CARD_PAYMENT_PROVIDER, a
dotted path). The portal never stores, logs or journals a card number or a CVC: only the last four digits and the
provider's references.
"""

import abc
import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from core.exceptions import Refused
from titles import services
from titles.enums import PAYMENT_STEP, PaymentMethod, PaymentStatus
from titles.events import record_event
from titles.models import Application, Payment
from titles.workflow import Actor, InvalidTransition, Status

logger = logging.getLogger(__name__)

DECLINED_MESSAGE = (
    "Votre banque a refusé le paiement : aucun montant n'a été débité et votre demande n'est pas encore déposée. "
    "Vérifiez les informations de la carte ou essayez une autre carte."
)


class CardDeclined(Refused):
    """The provider refused the charge (declined card, insufficient funds…); nothing was charged."""


@dataclass(frozen=True)
class Card:
    """A card as typed on the payment page. Held in memory for the charge only; never stored, never logged."""

    number: str
    exp_month: int
    exp_year: int
    cvc: str
    holder: str

    def __repr__(self):  # a card that reaches a traceback or a log shows its last four digits only
        return f"Card(…{self.number[-4:]})"


@dataclass(frozen=True)
class Charge:
    reference: str
    last4: str


class CardPaymentProvider(abc.ABC):
    """What the portal asks of a payment provider (`CARD_PAYMENT_PROVIDER` names the class in use)."""

    name = "abstract"

    @abc.abstractmethod
    def charge(self, *, amount_cents, card=None, token="", idempotency_key="", description=""):
        """Charge `amount_cents` on `card` (a Card) or `token` (the provider's token); return a Charge.
        Raise CardDeclined when the bank refuses. The same `idempotency_key` charges at most once."""

    @abc.abstractmethod
    def refund(self, reference, *, idempotency_key=""):
        """Refund the whole charge `reference`; return the refund's reference."""


class EmbeddedCardProvider(CardPaymentProvider):
    """The demo provider: test cards and tokens as payment providers document them (Stripe's, among others).

    4242 4242 4242 4242 (token `tok_visa`) and 5555 5555 5555 4444 (`tok_mastercard`) are accepted;
    4000 0000 0000 0002 (`tok_declined`) is declined, 4000 0000 0000 9995 (`tok_insufficient_funds`) too, for want
    of funds. Any other number that passes the form's checks is accepted.
    """

    name = "embedded"
    DECLINED_CARDS = {"4000000000000002": "declined", "4000000000009995": "insufficient_funds"}
    TOKENS = {"tok_visa": "4242", "tok_mastercard": "4444"}
    DECLINED_TOKENS = {"tok_declined": "declined", "tok_chargeDeclined": "declined",
                       "tok_insufficient_funds": "insufficient_funds"}

    def charge(self, *, amount_cents, card=None, token="", idempotency_key="", description=""):
        if card is not None:
            if card.number in self.DECLINED_CARDS:
                raise CardDeclined(self.DECLINED_CARDS[card.number], DECLINED_MESSAGE)
            last4 = card.number[-4:]
        elif token in self.DECLINED_TOKENS:
            raise CardDeclined(self.DECLINED_TOKENS[token], DECLINED_MESSAGE)
        elif token in self.TOKENS:
            last4 = self.TOKENS[token]
        else:
            raise CardDeclined("token", "Jeton de carte inconnu du prestataire de paiement.")
        return Charge(reference=f"pay_{secrets.token_hex(12)}", last4=last4)

    def refund(self, reference, *, idempotency_key=""):
        return f"re_{secrets.token_hex(12)}"


def get_provider():
    return import_string(getattr(settings, "CARD_PAYMENT_PROVIDER", "titles.cards.EmbeddedCardProvider"))()


@dataclass(frozen=True)
class CardOutcome:
    """What paying-and-submitting did: the payment, and the submission's outcome (None when the file was already
    paid and submitted by an earlier click: nothing was charged this time)."""

    payment: Payment
    submitted: object = None


def pay_by_card_and_submit(application, *, actor, card=None, token=""):
    """Charge the file's whole fee on the card (or the provider's token) and submit the file, as one act: a paid
    file is a submitted file. Return a CardOutcome.

    Idempotent per file: under the file's row lock, a file already paid by card returns its payment and charges
    nothing (a double click, a reloaded page, two tabs); the provider gets the file's reference as idempotency key
    too. Everything that could refuse the submission is checked before the charge; should the submission still
    fail after it, the charge is refunded before the error goes up. Raise CardDeclined (nothing charged, nothing
    submitted) or InvalidTransition."""
    provider = get_provider()
    charged = None
    try:
        with transaction.atomic(durable=True):
            locked = Application.objects.select_for_update(of=("self",)).get(pk=application.pk)
            done = locked.payments.filter(method=PaymentMethod.CARD).exclude(provider_reference=None).first()
            if done is not None and locked.status != Status.DRAFT:
                return CardOutcome(done)
            if locked.status != Status.DRAFT:
                raise InvalidTransition("state", "Ce dossier est déjà déposé.")
            procedure = locked.procedure
            if procedure.payment != PaymentMethod.CARD:
                raise InvalidTransition("method", "Cette démarche se paie par timbre fiscal, pas par carte bancaire.")
            problems = [p for p in services.missing_for_submission(locked) if p.step != PAYMENT_STEP]
            if problems:
                raise InvalidTransition("incomplete", " ".join(problems))
            total = procedure.fee_total(locked)
            # Charged under the file's row lock, inside the transaction: the lock is what makes a second click wait
            # and then find the file paid.
            charged = provider.charge(amount_cents=total, card=card, token=token, idempotency_key=locked.reference,
                                      description=f"{procedure.label} — {locked.reference}")
            payment = Payment.objects.create(
                application=locked, method=PaymentMethod.CARD, provider_reference=charged.reference,
                card_last4=charged.last4, amount_cents=total, issuer=provider.name,
            )
            paid = {"card_last4": charged.last4, "amount_cents": total, "payment_reference": charged.reference}
            services.record_act_for_applicant(locked, "card_payment", actor=actor, payload=paid)
            outcome = services._apply_transition(locked, "submit", actor=actor, payload=paid)
    except Exception:
        if charged is not None:  # the submission (or its commit) failed after the charge: nothing may stay charged
            logger.warning("Submission of %s failed after its card charge %s: refunding", application.reference,
                           charged.reference)
            provider.refund(charged.reference, idempotency_key=f"refund-{charged.reference}")
        raise
    return CardOutcome(payment, outcome)


def refund_card_payment(payment_id):
    """Refund one card payment through the provider, once: under the payment's row lock, only a payment still
    `refund_pending` is refunded; write the refund on the file's timeline. Return the payment."""
    provider = get_provider()
    with transaction.atomic(durable=True):
        payment = Payment.objects.select_for_update().filter(pk=payment_id).first()
        if payment is None or payment.status != PaymentStatus.REFUND_PENDING:
            return payment
        payment.refund_reference = provider.refund(
            payment.provider_reference, idempotency_key=f"refund-{payment.provider_reference}"
        )
        payment.status = PaymentStatus.REFUNDED
        payment.refunded_at = timezone.now()
        payment.save(update_fields=["refund_reference", "status", "refunded_at"])
        if payment.application_id:
            record_event(
                payment.application, "card_refund", actor=None, role=Actor.SYSTEM,
                payload={"card_last4": payment.card_last4, "amount_cents": payment.amount_cents,
                         "reference": payment.refund_reference},
            )
    return payment


def pending_refunds():
    """Return the ids of the card payments whose refund is still to ask (a broker outage, a killed worker)."""
    return list(Payment.objects.filter(status=PaymentStatus.REFUND_PENDING).values_list("pk", flat=True))
