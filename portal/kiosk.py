"""Kiosk mode: a shared computer of a point numérique (or a médiathèque) marked as such.

The device carries a signed cookie, « appareil partagé », set by a médiateur from the console or by anyone from the
login page's link. While it is there: a signed-in session ends after `KIOSK_IDLE_SECONDS` without a page (a
countdown shows it, `static/portal/kiosk.js`), no field offers the browser's autocomplete, no page is kept in the
browser's cache, and « Terminer et tout effacer » signs out and asks the browser to clear what the site left
(`Clear-Site-Data`), telling the person where their documents are (their e-mail, Mon espace).
"""

import re

from django.conf import settings
from django.core import signing
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST

from accounts.franceconnect import logout_everywhere
from core.http import render_form

COOKIE = "appareil_partage"
SALT = "portal.kiosk"
MARK_MAX_AGE = 365 * 24 * 3600  # the device stays marked until someone unmarks it (or a year goes by)
DEFAULT_IDLE_SECONDS = 5 * 60


def idle_seconds():
    return getattr(settings, "KIOSK_IDLE_SECONDS", DEFAULT_IDLE_SECONDS)


def is_shared_device(request):
    """Whether the request comes from a device marked as shared (a valid signed cookie, never a bare value)."""
    try:
        return request.get_signed_cookie(COOKIE, default="", salt=SALT, max_age=MARK_MAX_AGE) == "1"
    except signing.BadSignature:
        return False


def mark(response, request):
    response.set_signed_cookie(
        COOKIE, "1", salt=SALT, max_age=MARK_MAX_AGE, httponly=True, samesite="Lax", secure=request.is_secure()
    )
    return response


# Every opening tag of a form or a field, to mark autocomplete="off" (an existing autocomplete value is replaced).
_FIELD_TAG = re.compile(r"<(form|input|textarea|select)\b([^>]*)>", re.IGNORECASE)
_AUTOCOMPLETE = re.compile(r"\sautocomplete=(\"[^\"]*\"|'[^']*'|\S+)", re.IGNORECASE)


def without_autocomplete(html):
    """Return `html` with autocomplete="off" on every form and field: a shared computer must not offer the next
    person what the previous one typed (names, addresses, e-mail)."""

    def off(match):
        attributes = _AUTOCOMPLETE.sub("", match.group(2))
        closing = "/" if attributes.rstrip().endswith("/") else ""
        if closing:
            attributes = attributes.rstrip()[:-1]
        return f'<{match.group(1)}{attributes.rstrip()} autocomplete="off"{closing}>'

    return _FIELD_TAG.sub(off, html)


class KioskMiddleware:
    """Apply the kiosk mode to the requests of a device marked as shared (`request.shared_device`).

    Placed after AuthenticationMiddleware: its response half runs before SessionMiddleware saves the session, so the
    short expiry set here is the one saved, on every request (the idle time the countdown shows is exact)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.shared_device = is_shared_device(request)
        response = self.get_response(request)
        if not request.shared_device:
            return response
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            request.session.set_expiry(idle_seconds())
            add_never_cache_headers(response)  # nothing personal left in the browser's cache
        if response.get("Content-Type", "").startswith("text/html") and not response.streaming:
            response.content = without_autocomplete(response.content.decode(response.charset)).encode(
                response.charset
            )
        return response


def shared_device_page(request):
    """Explain the kiosk mode and let anyone mark (or unmark) this device as shared."""
    if request.method == "POST":
        if request.POST.get("partage") == "non":
            response = redirect("kiosk")
            response.delete_cookie(COOKIE, samesite="Lax")
            return response
        target = "mediation:console" if request.POST.get("suite") == "console" else "accounts:login"
        return mark(redirect(target), request)
    return render_form(request, "portal/kiosk.html", {"idle_minutes": idle_seconds() // 60})


def _clear_site(request, response):
    """Ask the browser to clear this site's cache and storage, and expire every cookie of the site but the device's
    mark and those `response` sets (FranceConnect's logout state)."""
    # Not "cookies": it would also erase the mark, and the next person would get an ordinary, unprotected device.
    response["Clear-Site-Data"] = '"cache", "storage"'
    for name in request.COOKIES:
        if name != COOKIE and name not in response.cookies:
            response.delete_cookie(name, samesite="Lax")
    add_never_cache_headers(response)
    return response


@require_POST
def end_and_clear(request):
    """« Terminer et tout effacer »: sign out (of FranceConnect too when the person came through it: its
    end-session brings the browser back), clear what the site left in the browser, and land on the page that says
    where the person's documents are."""
    return _clear_site(request, logout_everywhere(request, then=reverse("kiosk_ended")))


def ended(request):
    """Where « Terminer et tout effacer » lands: the session is over, and where the documents are. The page names
    nobody: the next person at this computer may read it."""
    return _clear_site(request, render_form(request, "portal/kiosk_ended.html"))
