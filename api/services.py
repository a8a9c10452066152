"""The write path of the API keys: create (the key shown once), revoke, authenticate, and the journal of the calls.

A key reads `<label>-api-<8 characters>_<40 characters>`: the part before `_` is its prefix, stored and shown in
the professional space and in the journal; the whole key is stored only as its SHA-256 and compared in constant
time.
"""

import hmac
import logging
import secrets
import string
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts.enums import Role
from accounts.models import Membership
from api.enums import KEY_LABELS, Scope
from api.models import ApiKey, hash_key
from journal import services as journal
from journal.enums import Action
from titles.workflow import Actor

logger = logging.getLogger("api.access")

ALPHABET = string.ascii_lowercase + string.digits
# last_used_at is written at most once a minute per key: reads stay free of writes on a busy integration.
LAST_USED_RESOLUTION = 60


def _random(length):
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


@dataclass(frozen=True)
class NewKey:
    api_key: ApiKey
    full_key: str  # shown once, never stored


def split_key(full_key):
    """Return `(prefix, secret)` of a key, or None when it does not have a key's shape."""
    prefix, sep, secret = full_key.partition("_")
    if not sep or not prefix or not secret or len(full_key) > 200:
        return None
    return prefix, secret


@transaction.atomic(durable=True)
def create_key(organisation, *, name, scopes, by):
    """Create a key for `organisation`, made by its manager `by`; return it with the full key, to show once."""
    return _create_key(organisation, name=name, scopes=scopes, by=by)


def _create_key(organisation, *, name, scopes, by, full_key=None):
    """The body of create_key, inside the caller's transaction; `full_key` is for the demo data only (fixed keys
    documented in the README)."""
    if full_key is None:
        label = KEY_LABELS.get(organisation.kind, "pro")
        full_key = f"{label}-api-{_random(8)}_{_random(40)}"
    prefix, _ = split_key(full_key)
    api_key = ApiKey.objects.create(
        organisation=organisation,
        name=name,
        prefix=prefix,
        secret_hash=hash_key(full_key),
        scopes=[scope for scope in Scope.values if scope in scopes],
        created_by=by,
    )
    journal.record(
        Action.API_KEY_CREATED,
        actor=by,
        organisation=organisation,
        role=Role.MANAGER,
        subject=f"clé {prefix}",
        payload={"key_id": api_key.pk, "name": name, "scopes": api_key.scopes},
        public=False,
    )
    return NewKey(api_key, full_key)


@transaction.atomic(durable=True)
def revoke_key(api_key, *, by):
    """Revoke at once: the next call with it answers 401."""
    api_key = ApiKey.objects.select_for_update().get(pk=api_key.pk)
    if api_key.revoked_at is not None:
        return api_key
    api_key.revoked_at = timezone.now()
    api_key.revoked_by = by
    api_key.save(update_fields=["revoked_at", "revoked_by"])
    journal.record(
        Action.API_KEY_REVOKED,
        actor=by,
        organisation=api_key.organisation,
        role=Role.MANAGER,
        subject=f"clé {api_key.prefix}",
        payload={"key_id": api_key.pk, "name": api_key.name},
        public=False,
    )
    return api_key


def key_for(full_key):
    """Return the active key matching `full_key`, its organisation and creator loaded, or None.

    The prefix finds the row; the hash is compared in constant time. A key whose organisation is closed, or whose
    creator is no longer an active member of it, opens nothing: the key acts as that member."""
    parts = split_key(full_key)
    if parts is None:
        return None
    api_key = (
        ApiKey.objects.active()
        .select_related("organisation", "created_by")
        .filter(prefix=parts[0], organisation__is_active=True, created_by__is_active=True)
        .first()
    )
    if api_key is None or not hmac.compare_digest(api_key.secret_hash, hash_key(full_key)):
        return None
    if not Membership.objects.active().filter(user=api_key.created_by, organisation=api_key.organisation).exists():
        return None
    return api_key


def touch(api_key, now=None):
    """Record that the key was used, at most once a minute (one UPDATE, no read)."""
    now = now or timezone.now()
    if api_key.last_used_at is None or (now - api_key.last_used_at).total_seconds() >= LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now


def record_call(api_key, *, method, path, status_code):
    """Journal a write made with a key (the services have written the act's own event), or log a read.

    A write is an act: it goes to the journal, naming the key's creator, the organisation and the key's prefix. A
    read changes nothing: a journal row per read would double the table for no act; it is an access-log line
    (logger `api.access`, with the key's prefix) and the key's `last_used_at`."""
    touch(api_key)
    if method in ("GET", "HEAD", "OPTIONS"):
        logger.info("%s %s %s key=%s organisation=%s", method, path, status_code, api_key.prefix,
                    api_key.organisation_id)
        return None
    return journal.record(
        Action.API_WRITE,
        actor=api_key.created_by,
        organisation=api_key.organisation,
        role=Actor.FILER,
        subject=f"clé {api_key.prefix}",
        payload={"key_id": api_key.pk, "key": api_key.prefix, "method": method, "path": path,
                 "status": status_code},
        public=False,
    )
