"""Mandate requests for an address without an account (issue 15): the professional gets the same answer whether or
not the address has an account, so that its request does not tell it. Without an account, the request is a pending
`Mandate` with no citizen and the address in `invited_email`; the person gets an invitation (create your account,
or FranceConnect, then confirm). When an account with that address is verified — the link of the sign-up e-mail,
FranceConnect's account creation, a changed address confirmed — its pending requests attach to it and wait on its
Mon espace for a confirmation or a refusal, as any mandate request. The invitation expires with the request: a
request past its `valid_until`, refused or revoked attaches to nobody.
"""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.signals import post_save
from django.utils import timezone

from journal import services as journal
from journal.enums import Action
from titles.models import Mandate

# A save that may have made an address verified: a full save (creation), or one that names one of these fields.
_VERIFYING_FIELDS = frozenset({"email", "email_verified_at"})


def pending_invitations(email, now=None):
    """The requests still waiting for an account at `email` (compared without case)."""
    now = now or timezone.now()
    return Mandate.objects.filter(citizen__isnull=True, invited_email__iexact=email.strip(), revoked_at__isnull=True,
                                  confirmed_at__isnull=True, valid_until__gte=now)


def attach_invitations(user):
    """Attach to `user`, whose address is verified, the pending requests made for that address, each with a journal
    entry naming the client and the organisation's member who asked. Return the attached mandates."""
    if not user.email or user.email_verified_at is None or not user.is_active:
        return []
    attached = []
    with transaction.atomic():
        for mandate in pending_invitations(user.email).select_for_update().select_related("created_by",
                                                                                          "organisation"):
            mandate.citizen = user
            mandate.save(update_fields=["citizen"])
            journal.record(
                Action.MANDATE_ATTACHED,
                actor=user,
                acting_for=user,
                organisation=mandate.organisation,
                role="applicant",
                subject=f"mandat {mandate.pk}",
                payload={"mandate_id": mandate.pk, "procedures": list(mandate.procedures),
                         "requested_by": mandate.created_by_id,
                         "requested_by_name": mandate.created_by.get_full_name(),
                         "client": user.pk, "client_name": user.get_full_name()},
            )
            attached.append(mandate)
    return attached


def _on_user_saved(sender, instance, created, update_fields=None, raw=False, **kwargs):
    if raw or instance.email_verified_at is None:
        return
    if update_fields is not None and not _VERIFYING_FIELDS & set(update_fields):
        return  # a login, a profile change: no address newly verified
    attach_invitations(instance)


def connect():
    post_save.connect(_on_user_saved, sender=get_user_model(), dispatch_uid="titles-mandate-invitations")
