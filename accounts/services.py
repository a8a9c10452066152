"""The write path of accounts that an administrator drives."""

from django.db import transaction
from django.utils import timezone

from accounts.models import Organisation
from journal import services as journal
from journal.enums import Action


@transaction.atomic(durable=True)
def validate_organisations(organisations, *, by):
    """Validate the agrément or habilitation of the organisations not yet validated, each with its journal entry
    naming the administrator; return how many were validated."""
    now = timezone.now()
    pending = Organisation.objects.select_for_update().filter(
        pk__in=[organisation.pk for organisation in organisations], validated_at__isnull=True
    )
    count = 0
    for organisation in pending:
        organisation.validated_at = now
        organisation.validated_by = by
        organisation.save(update_fields=["validated_at", "validated_by"])
        journal.record(
            Action.ORGANISATION_VALIDATED,
            actor=by,
            organisation=organisation,
            role="admin",
            subject=organisation.name[:100],
            payload={"kind": organisation.kind},
        )
        count += 1
    return count
