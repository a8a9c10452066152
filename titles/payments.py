"""Timbre fiscal électronique: the issuer interface and the embedded issuer (a simulated checkout).

A real deployment plugs the tax administration's validation service behind the same interface
(setting TIMBRE_ISSUER, a dotted path); the embedded default sells and validates its own timbres so that
the whole journey works end to end.
"""

import calendar
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from core.exceptions import Refused
from core.formats import euros
from titles import services
from titles.enums import PaymentMethod
from titles.models import Application, TimbreFiscal
from titles.workflow import InvalidTransition, Status

TIMBRE_VALIDITY_YEARS = 1  # a timbre électronique is valid 12 months (refundable within 18)


def timbre_valid_until(bought_on):
    """Return the last day a timbre bought on `bought_on` is valid: the same day a year later (28 February for one
    bought on 29 February). Not 365 days: across a 29 February that would be a day short."""
    year = bought_on.year + TIMBRE_VALIDITY_YEARS
    return bought_on.replace(year=year, day=min(bought_on.day, calendar.monthrange(year, bought_on.month)[1]))


@dataclass(frozen=True)
class TimbreCheck:
    ok: bool
    amount_cents: int = 0
    message: str = ""


class TimbreIssuer:
    name = "abstract"

    def buy(self, *, amount_cents, buyer):
        """Sell a timbre and return its number (only issuers that sell online implement this)."""
        raise TypeError(f"{self.name} does not sell timbres")

    def check(self, number, *, amount_cents):
        """Return whether `number` is a valid, unexpired timbre of exactly `amount_cents`."""
        raise TypeError(f"{self.name} does not check timbres")


class EmbeddedIssuer(TimbreIssuer):
    """The demo issuer: a simulated card checkout that records what it sold."""

    name = "embedded"

    def buy(self, *, amount_cents, buyer):
        number = "".join(secrets.choice("0123456789") for _ in range(16))
        TimbreFiscal.objects.create(
            number=number,
            amount_cents=amount_cents,
            buyer=buyer,
            valid_until=timbre_valid_until(timezone.localdate()),
        )
        return number

    def check(self, number, *, amount_cents):
        timbre = TimbreFiscal.objects.filter(number=number).first()
        if timbre is None:
            return TimbreCheck(False, message="Ce numéro de timbre fiscal est inconnu. Vérifiez les 16 chiffres.")
        if timbre.valid_until < timezone.localdate():
            return TimbreCheck(False, message="Ce timbre fiscal a plus de 12 mois : il n'est plus valable.")
        if timbre.amount_cents != amount_cents:
            return TimbreCheck(
                False,
                message=f"Ce timbre est de {euros(timbre.amount_cents)} ; cette démarche demande "
                f"{euros(amount_cents)}.",
            )
        return TimbreCheck(True, amount_cents=timbre.amount_cents)


def get_issuer():
    return import_string(getattr(settings, "TIMBRE_ISSUER", "titles.payments.EmbeddedIssuer"))()


def normalise_timbre_number(raw):
    return "".join(ch for ch in (raw or "") if ch.isdigit())


class PaymentRefused(Refused):
    """A timbre that cannot pay this file (unknown, expired, of another amount, already used); `reason` in French."""


def refuse_card_procedure(application):
    """Raise PaymentRefused for a procedure whose fee is paid by card at the end (no timbre may pay it)."""
    if application.procedure.payment != PaymentMethod.TIMBRE:
        raise PaymentRefused("method", "Cette démarche ne se paie pas par timbre fiscal : les taxes se paient par "
                                       "carte bancaire, à la dernière étape « Paiement et dépôt ».")


def buy_and_pay(application, *, actor):
    """Buy, in the issuer's checkout, a timbre of the file's whole fee and pay the file with it; return the Payment.

    Idempotent per file: under the file's row lock, a file already paid returns its payment and buys nothing (a
    second click on « Payer », a reloaded page, two tabs). Raise InvalidTransition once the file is filed."""
    issuer = get_issuer()
    refuse_card_procedure(application)
    with transaction.atomic(durable=True):
        locked = Application.objects.select_for_update(of=("self",)).get(pk=application.pk)
        if locked.status != Status.DRAFT:
            raise InvalidTransition("state", "Le paiement se fait avant le dépôt de la demande.")
        if services.is_paid(locked):
            return services.current_payment(locked)
        total = locked.procedure.fee_total(locked)
        number = issuer.buy(amount_cents=total, buyer=actor)
        return services.record_payment_locked(
            locked, timbre_number=number, amount_cents=total, issuer=issuer.name, actor=actor
        )


def pay_with_timbre(application, number, *, actor):
    """Check the timbre `number` with the issuer against the file's fee, and record it on the draft (journaled when
    `actor` acts for the applicant); return the Payment. Raise PaymentRefused (also when the file is paid already:
    a second timbre would be spent for nothing), or InvalidTransition once the file is filed."""
    issuer = get_issuer()
    refuse_card_procedure(application)
    check = issuer.check(number, amount_cents=application.procedure.fee_total(application))
    if not check.ok:
        raise PaymentRefused("timbre", check.message)
    try:
        return services.record_payment(
            application, timbre_number=number, amount_cents=check.amount_cents, issuer=issuer.name, actor=actor
        )
    except services.AlreadyPaid as refusal:
        raise PaymentRefused("paid", refusal.reason) from None
    except IntegrityError:  # the timbre's number is unique: it paid another file already
        raise PaymentRefused("used", "Ce timbre fiscal a déjà été utilisé pour une autre démarche.") from None
