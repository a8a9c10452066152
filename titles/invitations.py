"""Mandate requests for an address without an account (issue 15): the professional gets the same answer whether or
not the address has an account, so that its request does not tell it. Without an account, the request is a pending
`Mandate` with no citizen and the address in `invited_email`; the person gets an invitation (create your account,
or FranceConnect, then confirm). When an account's address is verified (`accounts.signals.address_verified`: the
sign-up e-mail's link followed, or an account created through FranceConnect with that e-mail), the pending requests
for that address attach to it and wait on its Mon espace for a confirmation or a refusal, as any mandate request.
The invitation expires with the request: a request past its `valid_until`, refused or revoked attaches to nobody.
"""

from django.db import transaction
from django.utils import timezone

from accounts.signals import address_verified
from journal import services as journal
from journal.enums import Action
from titles.models import Mandate


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


def _on_address_verified(sender, user, **kwargs):
    attach_invitations(user)


def connect():
    address_verified.connect(_on_address_verified, dispatch_uid="titles-mandate-invitations")
