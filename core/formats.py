"""The French way of writing amounts and dates, in one place (user-facing text, e-mails, PDFs)."""

import datetime

from django.utils import formats, timezone, translation

NARROW_NBSP = "\u202f"  # between groups of thousands: 1 234,50 €


def euros(cents):
    """Return an amount in cents as French text: « 13,76 € », « 25 € », « 1 234,50 € »."""
    text = f"{cents / 100:,.2f}".replace(",", NARROW_NBSP).replace(".", ",")
    return f"{text.removesuffix(',00')} €"


def french_date(value):
    """Return a date as « 2 mars 2026 » (« 1er mars 2026 » for the first), whatever language is active; "" for None
    or "".

    `value` is a date, a datetime (an aware one is read in the portal's time zone) or an ISO string (as stored in
    ``Application.data`` and in the JSON context of a PDF)."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        value = datetime.date.fromisoformat(value[:10])
    elif isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    with translation.override("fr"):
        text = formats.date_format(value, "j F Y")
    return text.replace("1 ", "1er ", 1) if value.day == 1 else text


ELIDING = frozenset("aeiouyàâäéèêëîïôöùûüÿæœAEIOUYÀÂÄÉÈÊËÎÏÔÖÙÛÜŸÆŒ")


def de(name):
    """Return « de » before a name, elided before a vowel: « de Karim Martin », « d'Angela Martin », « d'Émile ».
    (An h is left alone: whether it is aspirated cannot be told from the spelling of a name.)"""
    name = str(name or "").strip()
    return f"d'{name}" if name[:1] in ELIDING else f"de {name}"
