"""The mairie agent's role, registered with the engine's `titles.permissions` as the procedures are.

An agent of an equipped mairie (a membership with the role MAIRIE_AGENT of an organisation of kind MAIRIE whose
profile says it has a dispositif de recueil) reaches a pré-demande waiting for its deposit (submitted, not expired),
at whichever equipped mairie: the citizen may go to any. Once deposited, only the agents of the mairie that
registered it do. The second factor and the rest of the rule are the engine's (`titles.permissions.AccessRole`).
"""

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from identity import enums
from identity.models import Deposit, PreDemande
from titles.permissions import AccessRole, Staff, roles
from titles.workflow import Actor, Status

MAIRIE_AGENTS = Staff(
    kinds=(enums.MAIRIE,),
    roles=(enums.MAIRIE_AGENT,),
    where=Q(mairie_profile__is_equipped=True),
    refusal="Réservé aux agents des mairies équipées d'un dispositif de recueil.",
)


class MairieAgent(AccessRole):
    """An agent of an equipped mairie, on the pré-demandes it may register or has registered."""

    actor = Actor.MAIRIE

    def scope(self, user, now):
        mine = MAIRIE_AGENTS.organisation_ids(user)
        deposited_here = Exists(Deposit.objects.filter(pre_demande__application=OuterRef("pk"), mairie__in=mine))
        waiting = Exists(
            PreDemande.objects.filter(
                application=OuterRef("pk"), deposit__isnull=True, expires_on__gte=timezone.localdate(now)
            )
        )
        return Q(deposited_here) | (Q(status=Status.SUBMITTED) & Q(waiting) & Q(Exists(mine)))

    def allows(self, application, user, now):
        if application.title != enums.IDENTITY:  # no query for the other files
            return False
        deposited_at = (
            Deposit.objects.filter(pre_demande__application_id=application.pk).values_list("mairie_id", flat=True)
        ).first()
        if deposited_at is not None:
            return MAIRIE_AGENTS.is_member_of(user, deposited_at)
        return (
            application.status == Status.SUBMITTED
            and PreDemande.objects.filter(application_id=application.pk, expires_on__gte=timezone.localdate(now))
            .exists()
            and MAIRIE_AGENTS.organisations(user).exists()
        )


MAIRIE = roles.register(MairieAgent())
