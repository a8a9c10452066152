"""`Idempotency-Key` on POST: the first response is kept 24 hours and given again to a replay.

The row (organisation, key) is created before the act runs, in its own short transaction, with no response yet; the
unique constraint is the lock. A replay finds it: another request (method, path or content) → 422; the response
stored → given again; still running → wait for it a few seconds (a concurrent replay is serialized behind the first,
never runs the act twice), then 409 if it is still running. A response in error 5xx is not kept: the client may try
again with the same key.
"""

import hashlib
import json
import time

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.response import Response

from api.models import IDEMPOTENCY_TTL, IdempotencyRecord
from api.problems import Problem
from titles.sealing import seal, unseal

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
# How long a replay waits for the first request, in steps of WAIT_STEP seconds.
WAIT_SECONDS = 10
WAIT_STEP = 0.1
REPLAYED_HEADER = "Idempotent-Replayed"
KEPT_HEADERS = ("Location",)
# Fields of a response shown once that the record keeps sealed (titles/sealing.py), never in clear: the code de
# cession of a submitted cession. A replay unseals them; a copy of the database reveals nothing.
SECRET_FIELDS = ("code_de_cession",)
SEALED = "_sealed"


def fingerprint(request):
    """Return the SHA-256 of what the request asks: method, path, and its content parsed (JSON canonical; a form's
    fields, each file by its content's SHA-256) — a multipart boundary or key order does not change it."""
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    data = request.data
    if hasattr(data, "lists"):
        items = []
        for name, values in sorted(data.lists()):
            for value in values:
                if hasattr(value, "read"):
                    content = value.read()
                    value.seek(0)
                    value = "file:" + hashlib.sha256(content).hexdigest()
                items.append([name, str(value)])
        digest.update(json.dumps(items).encode())
    else:
        digest.update(json.dumps(data, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def begin(request, organisation, key):
    """Return `(record, None)` for a first request (the act may run), or `(None, response)` to give back."""
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise Problem("requete-invalide", f"L'en-tête {HEADER} doit faire de 1 à {MAX_KEY_LENGTH} caractères.")
    print_ = fingerprint(request)
    waited = 0.0
    while True:
        try:
            with transaction.atomic():
                IdempotencyRecord.objects.filter(
                    organisation=organisation, key=key, created_at__lt=timezone.now() - IDEMPOTENCY_TTL
                ).delete()
                record = IdempotencyRecord.objects.create(
                    organisation=organisation, key=key, method=request.method, path=request.path[:500],
                    fingerprint=print_,
                )
            return record, None
        except IntegrityError:
            existing = IdempotencyRecord.objects.filter(organisation=organisation, key=key).first()
        if existing is None:  # the first request failed and let the key go in between: try again
            continue
        if existing.fingerprint != print_:
            raise Problem(
                "idempotence-conflit",
                f"Cette clé d'idempotence a déjà servi pour une autre requête ({existing.method} {existing.path}) : "
                "utilisez une nouvelle clé pour une nouvelle requête.",
            )
        if existing.status_code is not None:
            return None, replay(existing)
        if waited >= WAIT_SECONDS:
            raise Problem("idempotence-en-cours", "La même requête est encore en cours : réessayez dans un instant.")
        time.sleep(WAIT_STEP)
        waited += WAIT_STEP


def replay(record):
    headers = {name: value for name, value in record.headers.items() if name != "Content-Type"}
    headers[REPLAYED_HEADER] = "true"
    return Response(_unsealed(record.response), status=record.status_code, headers=headers,
                    content_type=record.headers.get("Content-Type"))


def _sealed(data):
    """The response's body as the record keeps it: its secret fields sealed under `_sealed`."""
    if not isinstance(data, dict) or not any(name in data for name in SECRET_FIELDS):
        return data
    kept = {name: value for name, value in data.items() if name not in SECRET_FIELDS}
    kept[SEALED] = {name: seal(str(data[name])) for name in SECRET_FIELDS if name in data}
    return kept


def _unsealed(stored):
    if not isinstance(stored, dict) or SEALED not in stored:
        return stored
    body = {name: value for name, value in stored.items() if name != SEALED}
    for name, token in stored[SEALED].items():
        value = unseal(token)
        if value is not None:  # sealed under a key since retired: the secret is not given again
            body[name] = value
    return body


def complete(record, response):
    """Keep the response for the replays, or let the key go when it is a server error."""
    if response.status_code >= 500 or not isinstance(response, Response):
        IdempotencyRecord.objects.filter(pk=record.pk).delete()
        return
    headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
    if response.content_type:
        headers["Content-Type"] = response.content_type
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        status_code=response.status_code, response=_sealed(response.data), headers=headers
    )


def purge(now=None):
    """Delete the records past their 24 hours; return how many."""
    now = now or timezone.now()
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=now - IDEMPOTENCY_TTL).delete()
    return deleted
