"""Limits on what anyone can repeat without an account: account e-mails, and logins sprayed from one IP.

django-axes already locks one account after a few wrong passwords. It cannot lock an IP: a point numérique, a
school or a mobile operator puts many people behind one. So here an IP is only slowed down, and e-mails are simply
not sent past a limit (the page says the same thing either way, so nothing tells whether an address has an account).

Counters live in the shared cache (Redis in production): losing them only lifts a limit early. The addresses and
IPs are hashed in the keys.
"""

import hashlib
import math

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone


def client_ip(request):
    """Return the client's IP as django-axes sees it (same proxy settings), or "" when unknown."""
    return get_client_ip_address(request) or ""


def _key(kind, *parts):
    digest = hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()
    return f"accounts:throttle:{kind}:{digest}"


def _count(key, window):
    """Add one to the counter at ``key`` (a fixed window opened by its first hit) and return it."""
    cache.add(key, 0, timeout=window)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        return 1


def allow_account_email(request, kind, address):
    """Count one request for an e-mail of ``kind`` to ``address``; return whether it may be sent.

    Both counters move on every request, so that a flood from one IP cannot hide behind many addresses, nor a flood
    on one address behind many IPs.
    """
    window = settings.ACCOUNT_EMAILS_WINDOW
    by_address = _count(_key(f"email-{kind}-address", address.strip().lower()), window)
    by_ip = _count(_key(f"email-{kind}-ip", client_ip(request)), window)
    return by_address <= settings.ACCOUNT_EMAILS_PER_ADDRESS and by_ip <= settings.ACCOUNT_EMAILS_PER_IP


def login_wait(request):
    """Return how many seconds this IP must still wait before its next login attempt (0: none)."""
    until = cache.get(_key("login-wait", client_ip(request)))
    if until is None:
        return 0
    return max(0, math.ceil(until - timezone.now().timestamp()))


def record_login_failure(request, username):
    """Count a wrong password from this IP; past the threshold of distinct accounts, make the IP wait.

    Only distinct accounts count, so that the people of a point numérique mistyping their own password do not add
    up to a slowdown; one account tried again and again is django-axes' business. The wait doubles with each new
    account beyond the threshold, up to LOGIN_SPRAY_MAX_DELAY, and everything is forgotten after the window.
    """
    ip = client_ip(request)
    window = settings.LOGIN_SPRAY_WINDOW
    accounts_key = _key("login-accounts", ip)
    if cache.add(_key("login-account", ip, (username or "").strip().lower()), 1, timeout=window):
        accounts = _count(accounts_key, window)
    else:
        accounts = cache.get(accounts_key) or 0
    excess = accounts - settings.LOGIN_SPRAY_ACCOUNTS
    if excess >= 0:
        delay = min(2 ** min(excess, 16), settings.LOGIN_SPRAY_MAX_DELAY)
        cache.set(_key("login-wait", ip), timezone.now().timestamp() + delay, timeout=delay)
