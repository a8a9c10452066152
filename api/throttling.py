"""Throttling per API key: a burst rate and a sustained rate (settings `API_THROTTLE_RATES`), counted in the cache
on the key's id, so that one organisation's busy integration cannot starve the others; past either, 429 with
`Retry-After` (api/problems.py)."""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from api.models import ApiKey


class KeyRateThrottle(SimpleRateThrottle):
    scope = None  # the name of the rate in API_THROTTLE_RATES

    def get_rate(self):
        # Read when the throttle is made (per request), not at import: DRF's own THROTTLE_RATES is read at import.
        return settings.API_THROTTLE_RATES[self.scope]

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, ApiKey):
            return None  # no key, no call: authentication answered 401 already
        return f"api-throttle:{self.scope}:{request.auth.pk}"


class BurstThrottle(KeyRateThrottle):
    scope = "burst"


class SustainedThrottle(KeyRateThrottle):
    scope = "sustained"
