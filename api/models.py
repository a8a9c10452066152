import datetime
import hashlib

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone

from api.enums import DeliveryStatus

IDEMPOTENCY_TTL = datetime.timedelta(hours=24)


def hash_key(full_key):
    """Return the SHA-256 of a full API key. Keys carry 200+ bits of randomness: a fast hash is enough (a slow one
    protects guessable passwords), and no secret of ours enters it, so rotating SECRET_KEY keeps the keys working."""
    return hashlib.sha256(full_key.encode()).hexdigest()


class ApiKeyQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiKey(models.Model):
    """A key an organisation's manager made for the organisation's software: stored hashed, shown once."""

    organisation = models.ForeignKey(
        "accounts.Organisation", verbose_name="organisation", on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField("nom", max_length=100)
    prefix = models.CharField("préfixe", max_length=60, unique=True)
    secret_hash = models.CharField("empreinte SHA-256 de la clé", max_length=64)
    scopes = models.JSONField("droits", default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="créée par", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("créée le", default=timezone.now)
    last_used_at = models.DateTimeField("dernière utilisation", null=True, blank=True)
    revoked_at = models.DateTimeField("révoquée le", null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="révoquée par",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = "clé d'API"
        verbose_name_plural = "clés d'API"
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self):
        return self.revoked_at is None


class IdempotencyRecord(models.Model):
    """The first response to a POST sent with an `Idempotency-Key`, kept 24 hours to answer its replays.

    A row without `status_code` is a request still running: the unique constraint makes a concurrent replay wait
    for it (api/idempotency.py) rather than run the act twice."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    fingerprint = models.CharField("empreinte de la requête", max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "clé d'idempotence"
        constraints = [
            models.UniqueConstraint(fields=["organisation", "key"], name="idempotency_key_unique"),
            models.CheckConstraint(condition=~Q(key=""), name="idempotency_key_not_empty"),
        ]

    def __str__(self):
        return f"{self.method} {self.path} ({self.key})"

    @property
    def expired(self):
        return self.created_at < timezone.now() - IDEMPOTENCY_TTL


class WebhookEndpointQuerySet(models.QuerySet):
    def active(self):
        return self.filter(disabled_at__isnull=True)


class WebhookEndpoint(models.Model):
    """An HTTPS address of an organisation's software that receives the status changes of the organisation's
    files, signed per the Standard Webhooks spec with the endpoint's own secret (shown once, kept sealed)."""

    organisation = models.ForeignKey(
        "accounts.Organisation", verbose_name="organisation", on_delete=models.CASCADE, related_name="webhooks"
    )
    url = models.URLField("adresse", max_length=500)
    statuses = models.JSONField("états notifiés", default=list)
    # The `whsec_…` secret, sealed under SECRET_KEY (titles.sealing): signing needs it in clear, so it cannot be
    # hashed like a key; a copy of the database alone reveals nothing.
    sealed_secret = models.TextField("secret de signature (scellé)")
    secret_hint = models.CharField("début du secret", max_length=20)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="créé par", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("créé le", default=timezone.now)
    disabled_at = models.DateTimeField("supprimé le", null=True, blank=True)

    objects = WebhookEndpointQuerySet.as_manager()

    class Meta:
        verbose_name = "adresse de webhook"
        verbose_name_plural = "adresses de webhook"
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.url


class WebhookDelivery(models.Model):
    """One message to one endpoint: the outbox row, written in the transaction of the status change, its body
    fixed then (a retry or a replay sends the same `webhook-id` and body); sent by `api.tasks.deliver_webhook`."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey("titles.ApplicationEvent", on_delete=models.PROTECT, related_name="+")
    message_id = models.CharField("identifiant du message", max_length=64, unique=True)
    payload = models.JSONField("contenu", encoder=DjangoJSONEncoder)
    status = models.CharField("état", max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField("tentatives", default=0)
    last_status_code = models.PositiveSmallIntegerField("dernier code HTTP", null=True, blank=True)
    last_error = models.CharField("dernière erreur", max_length=300, blank=True)
    next_attempt_at = models.DateTimeField("prochaine tentative", null=True, blank=True)
    created_at = models.DateTimeField("créée le", default=timezone.now)
    delivered_at = models.DateTimeField("livrée le", null=True, blank=True)

    class Meta:
        verbose_name = "livraison de webhook"
        verbose_name_plural = "livraisons de webhook"
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["endpoint", "event"], name="webhook_delivery_once")]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due")]

    def __str__(self):
        return f"{self.message_id} → {self.endpoint_id}"
