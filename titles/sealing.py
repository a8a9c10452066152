"""Sealing: authenticated encryption (Fernet) under a key derived from SECRET_KEY, for a secret that must pass
through the database or a file store without ever resting there in clear (e.g. a code de cession on its way to
the one copy of the accusé that prints it).

The key never lives in the database: a copy of the database, a backup or an SQL injection reveals nothing.
SECRET_KEY_FALLBACKS still open what was sealed before a key rotation.
"""

import base64
import logging

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.utils.crypto import salted_hmac

__all__ = ["InvalidToken", "seal", "seal_bytes", "unseal", "unseal_bytes"]

logger = logging.getLogger(__name__)

KEY_SALT = "titles.sealing"


def _fernet():
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([
        Fernet(base64.urlsafe_b64encode(salted_hmac(KEY_SALT, "fernet", secret=secret, algorithm="sha256").digest()))
        for secret in secrets
    ])


def seal(value):
    """Return `value` (str) sealed, as a str safe to store in JSON."""
    return _fernet().encrypt(value.encode()).decode("ascii")


def unseal(token):
    """Return the str a `seal` produced, or None if it is not one of ours (tampered, another key, not a token)."""
    try:
        return _fernet().decrypt(token.encode("ascii") if isinstance(token, str) else token).decode()
    except (InvalidToken, TypeError, ValueError, UnicodeError):
        logger.warning("A sealed value could not be opened (another key, or not sealed)")
        return None


def seal_bytes(content):
    """Return bytes (e.g. a PDF) sealed."""
    return _fernet().encrypt(content)


def unseal_bytes(token):
    """Return the bytes `seal_bytes` sealed; raise InvalidToken if they are not ours."""
    return _fernet().decrypt(token)
