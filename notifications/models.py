from django.db import models
from django.utils import timezone

from notifications.enums import EmailStatus


class OutgoingEmail(models.Model):
    """An e-mail is a database row first, written in the transaction of the action that causes it; a task sends it.

    `reference` names what the e-mail is about (an application's reference), as text: the outbox knows no other
    app's tables."""

    key = models.CharField("clé d'idempotence", max_length=120, unique=True)
    reference = models.CharField("objet", max_length=40, blank=True, db_index=True)
    from_email = models.CharField("expéditeur", max_length=254, blank=True)
    to = models.EmailField()
    subject = models.CharField(max_length=200)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "courriel"
        ordering = ["created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="outgoing_email_pending")]

    def __str__(self):
        return f"{self.subject} → {self.to}"
