"""Test settings: the same as base, made fast and strict."""

import os

os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("PORTAL_VAR_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "var", "test"))

from portal.settings.base import *  # noqa: E402,F403
from portal.settings.base import LOCAL_CACHE, TEMPLATES, VAR_DIR  # noqa: E402


class InvalidTemplateVariable(str):
    """Fail loudly on an undefined template variable in our own templates."""

    def __mod__(self, other):
        raise NameError(f"Variable de gabarit indéfinie : {other!r}")


TEMPLATES[0]["OPTIONS"]["string_if_invalid"] = InvalidTemplateVariable("%s")
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = VAR_DIR / "media"
# Every e-mail goes through the outbox, as in production (tests/conftest.py sets it again after Django's test
# set-up swaps in locmem); the send task delivers to django.core.mail.outbox.
EMAIL_BACKEND = "notifications.backends.OutboxEmailBackend"
NOTIFICATIONS_DELIVERY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
if os.environ.get("TEST_EMAIL_FILE_PATH"):  # a real worker started by the tests writes where the test reads
    NOTIFICATIONS_DELIVERY_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = os.environ["TEST_EMAIL_FILE_PATH"]
CELERY_TASK_ALWAYS_EAGER = os.environ.get("CELERY_TASK_ALWAYS_EAGER", "true").lower() == "true"
AXES_ENABLED = True
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}, "local": LOCAL_CACHE}
WHITENOISE_AUTOREFRESH = True  # no collectstatic in tests
