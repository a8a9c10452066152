"""Throttling per API key: a burst rate and a sustained rate (settings `API_THROTTLE_RATES`), counted on the key's
id so that one organisation's busy integration cannot starve the others; past either, 429 with `Retry-After`
(api/problems.py).

Both rates are counted in one Redis round trip: per rate, a counter `api-rate:<rate>:<key id>` whose window starts
with the first call and lasts the rate's period (`SET NX EX`, `INCR`, `TTL`, pipelined). A call counts against
both rates, refused or not. Without Redis (tests, the embedded mode) the same counters live in Django's cache. An
unreachable Redis lets the call through, logged: the portal slows down rather than refuse (as the cache does).
"""

import logging
import time

from django.conf import settings
from django.core.cache import cache, caches
from rest_framework.throttling import BaseThrottle

from api.models import ApiKey

logger = logging.getLogger(__name__)
RATES = ("burst", "sustained")
DURATIONS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate):
    """`"120/minute"` → (120, 60)."""
    number, period = rate.split("/")
    return int(number), DURATIONS[period[0]]


def _redis():
    """The raw Redis client behind the cache, or None when the cache is not django-redis."""
    if not type(caches["default"]).__module__.startswith("django_redis"):
        return None
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def _count_in_redis(client, windows):
    """Count the call in each window at once; return [(count, seconds left)] in the same order."""
    pipe = client.pipeline(transaction=False)
    for key, seconds in windows:
        pipe.set(key, 0, ex=seconds, nx=True)
        pipe.incr(key)
        pipe.ttl(key)
    replies = pipe.execute()
    return [(replies[i + 1], replies[i + 2]) for i in range(0, len(replies), 3)]


def _count_in_cache(windows, now):
    """The same counters in Django's cache (not atomic: for tests and the embedded mode)."""
    stored = cache.get_many([key for key, _ in windows])
    counted, updates = [], {}
    for key, seconds in windows:
        count, ends = stored.get(key) or (0, now + seconds)
        if ends <= now:
            count, ends = 0, now + seconds
        updates[key] = (count + 1, ends)
        counted.append((count + 1, ends - now))
    for key, value in updates.items():
        cache.set(key, value, max(1, int(value[1] - now) + 1))
    return counted


class KeyRateThrottle(BaseThrottle):
    """Both rates of the key, in one round trip."""

    def __init__(self):
        self._wait = None

    def allow_request(self, request, view):
        if not isinstance(request.auth, ApiKey):
            return True  # no key, no call: authentication answered 401 already
        # Read per request, not at import (DRF reads its own THROTTLE_RATES at import).
        limits = [parse_rate(settings.API_THROTTLE_RATES[name]) for name in RATES]
        windows = [(f"api-rate:{name}:{request.auth.pk}", seconds) for name, (_, seconds) in zip(RATES, limits,
                                                                                                  strict=True)]
        client = _redis()
        try:
            counted = _count_in_redis(client, windows) if client is not None else _count_in_cache(windows,
                                                                                                   time.time())
        except Exception:  # Redis unreachable: let the call through, as the cache would
            logger.warning("API throttling skipped: the counters could not be read", exc_info=True)
            return True
        waits = [left if left and left > 0 else seconds
                 for (count, left), (allowed, seconds) in zip(counted, limits, strict=True) if count > allowed]
        self._wait = max(waits) if waits else None
        return not waits

    def wait(self):
        return self._wait
