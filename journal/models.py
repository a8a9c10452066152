from django.conf import settings
from django.db import models
from django.utils import timezone

from core.append_only import AppendOnlyModel, AppendOnlyQuerySet
from journal.enums import action_label


class EntryQuerySet(AppendOnlyQuerySet):
    def concerning(self, user):
        """Return what the person may read of the acts that concern them: the entries naming them, but not those
        kept for the administration (e.g. a CERT agent's private annotation on their file)."""
        return self.filter(acting_for=user, public=True)


class Entry(AppendOnlyModel):
    """One sensitive act, above all one done for someone else: who acted, in what capacity, for whom, in the name
    of which organisation. Written by the services in the act's own transaction; never changed, never deleted."""

    created_at = models.DateTimeField("date", default=timezone.now, db_index=True)
    action = models.CharField("acte", max_length=60, db_index=True)
    # Null: the portal itself (a periodic task).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="auteur",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_role = models.CharField("en qualité de", max_length=30, blank=True)
    # The person the act concerns (for whom it was done, or whose mandate or session it is).
    acting_for = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="personne concernée",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="journal_entries",
    )
    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name="organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # A short text reference (a file's reference, "mandat 12"): no foreign key, so the journal stays below the
    # apps whose acts it records and outlives what they delete.
    subject = models.CharField("objet", max_length=100, blank=True)
    payload = models.JSONField("détails", default=dict, blank=True)
    # Shown to the person concerned; a few acts (an agent's private annotation) are for the administration only.
    public = models.BooleanField("visible par la personne concernée", default=True)

    objects = EntryQuerySet.as_manager()

    class Meta:
        verbose_name = "entrée du journal"
        verbose_name_plural = "journal des actes"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["acting_for", "-created_at"], name="journal_for_person")]

    def __str__(self):
        return f"{self.action} ({self.created_at:%d/%m/%Y %H:%M})"

    @property
    def label(self):
        """The French words for the act."""
        return action_label(self.action, self.payload)
