"""Webhooks: an organisation's endpoints receive the status changes of its files, signed per the Standard Webhooks
spec (https://www.standardwebhooks.com, the `standardwebhooks` package).

The way a message takes is the outbox's: `record_deliveries(event)` runs inside the transition's transaction (a
listener of `titles.events`) and writes one `WebhookDelivery` per endpoint, its body fixed then; after commit,
`api.tasks.deliver_webhook` POSTs it. A failure is retried with an exponential back-off (Celery's retry), up to
`API_WEBHOOK_MAX_ATTEMPTS`; `api.tasks.retry_due_webhooks` sends again what a broker outage or a killed worker left
due. Delivered at least once: a receiver folds copies on the `webhook-id` header, the same on every try.
"""

import base64
import datetime
import ipaddress
import json
import logging
import secrets
import socket
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from standardwebhooks import Webhook

from accounts.enums import Role
from api.enums import WEBHOOK_EVENT_TYPE, DeliveryStatus
from api.models import WebhookDelivery, WebhookEndpoint
from journal import services as journal
from journal.enums import Action
from notifications.outbox import run_after_commit
from titles.models import Mandate
from titles.sealing import seal, unseal
from titles.workflow import Status

logger = logging.getLogger(__name__)

DELIVER_TASK = "api.tasks.deliver_webhook"
SECRET_PREFIX = "whsec_"
# The statuses a file reaches by a transition: what an endpoint may subscribe to (all by default).
NOTIFIED_STATUSES = [status for status in Status if status != Status.DRAFT]
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


class UnsafeUrl(ValueError):
    """An address the portal refuses to call; the message is French, for the form and the delivery log."""


def check_url(url, *, resolve=False):
    """Raise UnsafeUrl unless `url` is an https address of a public host.

    With DEBUG on (the demo), http://127.0.0.1, localhost or [::1] is also accepted, for a receiver on the same
    machine. With `resolve`, every address the name resolves to must be public too (no loopback, private,
    link-local, reserved or multicast address: the portal must not be made to call its own network)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    local = settings.DEBUG and host in LOCAL_HOSTS
    if parts.scheme != "https" and not (local and parts.scheme == "http"):
        raise UnsafeUrl("L'adresse doit commencer par https://.")
    if not host or parts.username or parts.password:
        raise UnsafeUrl("L'adresse doit nommer un serveur, sans identifiant ni mot de passe.")
    if local:
        return
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None and not literal.is_global:
        raise UnsafeUrl("L'adresse désigne un réseau privé ou local : le portail ne l'appelle pas.")
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        raise UnsafeUrl("L'adresse désigne un réseau privé ou local : le portail ne l'appelle pas.")
    if resolve and literal is None:
        try:
            found = addresses(host, parts.port or 443)
        except (OSError, UnicodeError):
            raise UnsafeUrl("Le nom du serveur est introuvable (DNS).") from None
        for address in found:
            if not ipaddress.ip_address(address.split("%")[0]).is_global:
                raise UnsafeUrl("L'adresse désigne un réseau privé ou local : le portail ne l'appelle pas.")


def addresses(host, port):
    """Return the IP addresses `host` resolves to."""
    return [sockaddr[0] for *_, sockaddr in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)]


def new_secret():
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


@dataclass(frozen=True)
class NewEndpoint:
    endpoint: WebhookEndpoint
    secret: str  # shown once


@transaction.atomic(durable=True)
def create_endpoint(organisation, *, url, statuses, by):
    """Register an endpoint for `organisation`, made by its manager `by`; return it with its secret, to show once."""
    check_url(url)
    return _create_endpoint(organisation, url=url, statuses=statuses, by=by)


def _create_endpoint(organisation, *, url, statuses, by, secret=None):
    """The body of create_endpoint, inside the caller's transaction, the address unchecked (each delivery checks
    it again); `secret` is for the demo data only."""
    secret = secret or new_secret()
    endpoint = WebhookEndpoint.objects.create(
        organisation=organisation,
        url=url,
        statuses=[status for status in NOTIFIED_STATUSES if status in statuses],
        sealed_secret=seal(secret),
        secret_hint=secret[:10],
        created_by=by,
    )
    journal.record(
        Action.WEBHOOK_CREATED, actor=by, organisation=organisation, role=Role.MANAGER, subject=f"webhook {url}",
        payload={"endpoint_id": endpoint.pk, "url": url, "statuses": endpoint.statuses}, public=False,
    )
    return NewEndpoint(endpoint, secret)


@transaction.atomic(durable=True)
def disable_endpoint(endpoint, *, by):
    """Stop sending to the endpoint; its log stays, its pending deliveries are abandoned."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if endpoint.disabled_at is not None:
        return endpoint
    endpoint.disabled_at = timezone.now()
    endpoint.save(update_fields=["disabled_at"])
    endpoint.deliveries.filter(status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.FAILED, next_attempt_at=None, last_error="Adresse supprimée."
    )
    journal.record(
        Action.WEBHOOK_DISABLED, actor=by, organisation=endpoint.organisation, role=Role.MANAGER,
        subject=f"webhook {endpoint.url}", payload={"endpoint_id": endpoint.pk}, public=False,
    )
    return endpoint


def payload_for(event):
    """The message's body: what changed on which file, no personal data (the file's detail is one API call)."""
    application = event.application
    return {
        "type": WEBHOOK_EVENT_TYPE,
        "timestamp": event.created_at.isoformat(),
        "data": {
            "reference": application.reference,
            "procedure": application.procedure_code,
            "transition": event.kind,
            "previous_status": event.from_status,
            "status": event.to_status,
            "event_id": event.pk,
            "url": settings.SITE_URL + reverse("api:file", kwargs={"reference": application.reference}),
        },
    }


def record_deliveries(event):
    """Write one delivery per active endpoint of the file's organisation subscribed to the status reached, in the
    transition's transaction, and send each once it commits.

    Only while the organisation may still see the file (a mandate in force, as `titles.permissions` reads it for
    the API): a citizen who revoked the mandate is not followed further."""
    application = event.application
    if not application.organisation_id or not event.to_status:
        return []
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.active().filter(organisation=application.organisation_id)
        if event.to_status in endpoint.statuses
    ]
    if not endpoints:
        return []
    mandates = Mandate.objects.valid().filter(organisation=application.organisation_id)
    if not mandates.filter(pk=application.mandate_id).exists():
        return []
    payload = payload_for(event)
    now = timezone.now()
    deliveries = WebhookDelivery.objects.bulk_create([
        WebhookDelivery(endpoint=endpoint, event=event, message_id=f"msg_{uuid.uuid4().hex}", payload=payload,
                        next_attempt_at=now, created_at=now)
        for endpoint in endpoints
    ])
    for delivery in deliveries:
        run_after_commit(DELIVER_TASK, delivery.pk)
    return deliveries


def backoff(attempts):
    """Seconds to wait after the `attempts`-th failed try: base × 2^(attempts − 1), capped."""
    return min(settings.API_WEBHOOK_RETRY_BASE * 2 ** (attempts - 1), settings.API_WEBHOOK_RETRY_CAP)


def signed_headers(delivery, body, now):
    secret = unseal(delivery.endpoint.sealed_secret)
    return {
        "Content-Type": "application/json",
        "User-Agent": "portail-demarches-webhooks/1",
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(delivery.message_id, now, body),
    }


@dataclass(frozen=True)
class Attempt:
    status: str
    retry_in: int | None = None  # seconds, when another try is due


def attempt(delivery_id):
    """Try to deliver one pending delivery now; return what became of it.

    The row is locked while it is sent (a second worker on the same row skips it). A 2xx answer delivers it; any
    other answer, a redirect included (never followed: the address was checked, where it points was not), a
    timeout or a refused address counts a failed try, until `API_WEBHOOK_MAX_ATTEMPTS`."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint")
            .filter(pk=delivery_id, status=DeliveryStatus.PENDING)
            .first()
        )
        if delivery is None:
            return Attempt("skipped")
        now = timezone.now()
        if delivery.endpoint.disabled_at is not None:
            delivery.status = DeliveryStatus.FAILED
            delivery.last_error = "Adresse supprimée."
            delivery.next_attempt_at = None
            delivery.save(update_fields=["status", "last_error", "next_attempt_at"])
            return Attempt(delivery.status)
        body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False)
        status_code, error = None, ""
        try:
            check_url(delivery.endpoint.url, resolve=True)
            response = requests.post(
                delivery.endpoint.url, data=body.encode(), headers=signed_headers(delivery, body, now),
                timeout=(settings.API_WEBHOOK_CONNECT_TIMEOUT, settings.API_WEBHOOK_READ_TIMEOUT),
                allow_redirects=False,
            )
            status_code = response.status_code
            if not 200 <= status_code < 300:
                redirect = " (redirection non suivie)" if 300 <= status_code < 400 else ""
                error = f"Réponse HTTP {status_code}{redirect}"
        except UnsafeUrl as refused:
            error = str(refused)
        except requests.RequestException as failure:
            error = f"{type(failure).__name__} : {failure}"[:300]
        delivery.attempts += 1
        delivery.last_status_code = status_code
        delivery.last_error = error
        retry_in = None
        if not error:
            delivery.status = DeliveryStatus.DELIVERED
            delivery.delivered_at = now
            delivery.next_attempt_at = None
        elif delivery.attempts >= settings.API_WEBHOOK_MAX_ATTEMPTS:
            delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = None
        else:
            retry_in = backoff(delivery.attempts)
            delivery.next_attempt_at = now + datetime.timedelta(seconds=retry_in)
        delivery.save(update_fields=["status", "attempts", "last_status_code", "last_error", "next_attempt_at",
                                     "delivered_at"])
    if error:
        logger.warning("Webhook %s to endpoint %s failed (try %s): %s", delivery.message_id, delivery.endpoint_id,
                       delivery.attempts, error)
    return Attempt(delivery.status, retry_in)


@transaction.atomic(durable=True)
def replay(delivery, *, by):
    """Send a failed delivery again, same `webhook-id` and body, for a new round of tries (the manager's
    « Rejouer »); journaled."""
    delivery = WebhookDelivery.objects.select_for_update(of=("self",)).select_related("endpoint").get(pk=delivery.pk)
    if delivery.status != DeliveryStatus.FAILED or delivery.endpoint.disabled_at is not None:
        return False
    delivery.status = DeliveryStatus.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "attempts", "next_attempt_at"])
    journal.record(
        Action.WEBHOOK_REPLAYED, actor=by, organisation=delivery.endpoint.organisation, role=Role.MANAGER,
        subject=f"webhook {delivery.message_id}", payload={"delivery_id": delivery.pk}, public=False,
    )
    run_after_commit(DELIVER_TASK, delivery.pk)
    return True


def due(now=None, grace=300):
    """Return the ids of pending deliveries whose next try is overdue by more than `grace` seconds (left by a
    broker outage or a killed worker: a Celery retry on time is not overdue)."""
    now = now or timezone.now()
    return list(
        WebhookDelivery.objects.filter(
            status=DeliveryStatus.PENDING, next_attempt_at__lte=now - datetime.timedelta(seconds=grace)
        ).values_list("pk", flat=True)[:500]
    )
