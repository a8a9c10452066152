"""The one place that answers "may this user see or act on this file?", and "may this user open this space?".

Each way to reach a file is an `AccessRole`, one object holding one rule twice: `queryset(user)`, a `Q` on
`Application` for lists, and `check(application, user)` for one file (tests/titles/test_permissions.py walks
`roles` and checks that the two agree). The second factor is the base class's: every role but the applicant's
needs it passed in this session (`accounts.models.second_factor_passed`), and the registry refuses a role that
opts out. Nobody holds another capacity on their own file: the applicant's file is theirs as the applicant only.

The engine's roles are registered here; a title app whose staff act on files in a capacity of their own registers
its role too (identity's mairie agent, `identity/permissions.py`), as it registers its procedures.

`member_required(staff, denied=...)` is the one decorator of the professional spaces: a member of the right kind of
organisation (else `denied`: 403 for a space's home, 404 for a page about one object), then the second factor
(else the second-factor page). The organisations are put on `request.organisations`.
"""

from dataclasses import dataclass, field
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

# `titles.models` delegates its `for_user` / `for_applicant_side` here and this module reads its models at call
# time: imported as a module (not its names), either may be loaded first.
import titles.models
from accounts.decorators import second_factor_redirect
from accounts.enums import ASSISTING_ORGANISATION_KINDS, OrganisationKind, Role
from accounts.models import Membership, Organisation, second_factor_passed
from titles.workflow import APPLICANT_SIDE, Actor, Status

# A condition no row meets: Django leaves it out of an OR (and answers none() alone) without a query.
NOTHING = Q(pk__in=[])


@dataclass(frozen=True)
class Staff:
    """Who counts as staff of a kind of organisation: an active membership of an active organisation of one of
    `kinds` (any kind if empty), with one of `roles` (any role if empty), of an organisation meeting `where`."""

    kinds: tuple = ()
    roles: tuple = ()
    where: Q = field(default_factory=Q)
    refusal: str = "Espace réservé aux professionnels habilités."

    def memberships(self, user, **filters):
        memberships = Membership.objects.active().filter(user=user, **filters)
        if self.kinds:
            memberships = memberships.filter(organisation__kind__in=self.kinds)
        if self.roles:
            memberships = memberships.filter(role__in=self.roles)
        return memberships

    def organisations(self, user):
        """Return the organisations where `user` is such staff, by name."""
        if user is None or not user.is_authenticated:
            return Organisation.objects.none()
        return Organisation.objects.filter(self.where, pk__in=self.memberships(user).values("organisation")).order_by(
            "name"
        )

    def organisation_ids(self, user):
        """Return the ids of those organisations as a subquery (no query of its own)."""
        return self.organisations(user).order_by().values("pk")

    def is_member_of(self, user, organisation_id):
        return self.organisations(user).filter(pk=organisation_id).exists()


# The staff of the engine's professional spaces (a title app declares those of its own, e.g. identity's
# MAIRIE_AGENTS).
ANY_MEMBER = Staff(refusal="Réservé aux membres de l'organisation.")
CERT_AGENTS = Staff(
    kinds=(OrganisationKind.CERT,), roles=(Role.AGENT,),
    refusal="Réservé aux agents des centres d'instruction (CERT).",
)
MEDIATEURS = Staff(
    kinds=ASSISTING_ORGANISATION_KINDS, roles=(Role.MEDIATEUR,), refusal="Réservé aux médiateurs numériques."
)


def member_required(staff, *, denied=Http404):
    """Return a view decorator: a signed-in member of `staff`'s organisations (else raise `denied` with its
    refusal), who passed the second factor in this session (else redirect to the second-factor page).

    Membership is checked first, so that a citizen is refused outright instead of being asked to set up a second
    factor they do not need. The organisations are on `request.organisations`.
    """

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(request, *args, **kwargs):
            organisations = list(staff.organisations(request.user))
            if not organisations:
                raise denied(staff.refusal)
            if not second_factor_passed(request.user):
                return second_factor_redirect(request)
            request.organisations = organisations
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


class AccessRole:
    """One way to reach a file, as a pair: `queryset(user)` for lists, `check(application, user)` for one file.

    Subclasses write `scope(user, now)` and `allows(application, user, now)`; the base class adds what every role
    shares: a signed-in user, the second factor (unless `needs_second_factor` is False: the applicant only), and
    never the user's own file (there they are the applicant).
    """

    actor = ""
    needs_second_factor = True
    own_files = False

    def admits(self, user):
        if user is None or not user.is_authenticated:
            return False
        return not self.needs_second_factor or second_factor_passed(user)

    def queryset(self, user, now=None):
        """Return the `Q` on `Application` of the files `user` reaches in this capacity."""
        if not self.admits(user):
            return NOTHING
        scope = self.scope(user, now or timezone.now())
        return scope if self.own_files else scope & ~Q(applicant=user)

    def check(self, application, user, now=None):
        """Return whether `user` reaches `application` in this capacity."""
        if not self.admits(user) or (not self.own_files and application.applicant_id == user.pk):
            return False
        return self.allows(application, user, now or timezone.now())

    def scope(self, user, now):
        raise NotImplementedError

    def allows(self, application, user, now):
        raise NotImplementedError

    def __repr__(self):
        return f"<{type(self).__name__} {self.actor}>"


# A file an organisation files in its own name (a garage declaring the vehicle it bought): the organisation is
# set and no mandate, since it acts for nobody. Its `applicant` is the member who opened it (the engine needs a
# person to write to), but the file is the organisation's: every active member reaches it, in the applicant's
# capacity (withdraw) and the filer's (edit, submit), and only with the second factor — the member who opened it
# too, and no longer once they leave the organisation.
OWN_NAME = Q(organisation__isnull=False, mandate__isnull=True)


def in_own_name(application):
    """Return whether `application` is filed by its organisation in its own name (no mandate)."""
    return application.organisation_id is not None and application.mandate_id is None


def own_name_scope(user):
    """Return the `Q` of the files the organisations of `user` file in their own name (a second factor assumed)."""
    return OWN_NAME & Q(organisation__in=ANY_MEMBER.memberships(user).values("organisation"))


def reaches_own_name(application, user):
    """Return whether `user` reaches `application`, filed in its own name, as a member of its organisation with a
    second factor passed in this session."""
    return (
        in_own_name(application)
        and second_factor_passed(user)
        and is_member(user, application.organisation_id)
    )


def is_member(user, organisation_id):
    """Return whether `user` is an active member of the organisation. An API key's authentication has just checked
    its creator's membership of the key's organisation (`api.services.key_for`) and says so on the request's user
    (`checked_memberships`): not asked twice in one request."""
    if organisation_id in getattr(user, "checked_memberships", ()):
        return True
    return ANY_MEMBER.memberships(user, organisation_id=organisation_id).exists()


class Applicant(AccessRole):
    """The citizen the file is about: their own files, with a password alone; for a file an organisation files in
    its own name, that organisation: its members, with the second factor (`OWN_NAME`)."""

    actor = Actor.APPLICANT
    needs_second_factor = False
    own_files = True

    def scope(self, user, now):
        mine = Q(applicant=user) & ~OWN_NAME
        return mine | own_name_scope(user) if second_factor_passed(user) else mine

    def allows(self, application, user, now):
        if in_own_name(application):
            return reaches_own_name(application, user)
        return application.applicant_id == user.pk


class Filer(AccessRole):
    """A member of the organisation that files under a mandate still valid (confirmed, not revoked, in force), or in
    its own name (`OWN_NAME`: there the member who opened the file is a filer too)."""

    actor = Actor.FILER

    def queryset(self, user, now=None):
        mandated = super().queryset(user, now)
        return mandated | own_name_scope(user) if self.admits(user) else mandated

    def check(self, application, user, now=None):
        if in_own_name(application):
            return self.admits(user) and reaches_own_name(application, user)
        return super().check(application, user, now)

    def scope(self, user, now):
        return Q(
            organisation__in=ANY_MEMBER.memberships(user).values("organisation"),
            mandate__revoked_at__isnull=True,
            mandate__confirmed_at__isnull=False,
            mandate__valid_from__lte=now,
            mandate__valid_until__gte=now,
        )

    def allows(self, application, user, now):
        if not (application.organisation_id and application.mandate_id):
            return False
        mandate = application.mandate
        valid = mandate.revoked_at is None and mandate.confirmed_at is not None
        return (
            valid
            and mandate.valid_from <= now <= mandate.valid_until
            and is_member(user, application.organisation_id)
        )


def assisting_session(mediateur, citizen_id, now=None):
    """Return the active assisted session in which `mediateur` helps this citizen, or None."""
    return (
        titles.models.AssistedSession.objects.active(now)
        .filter(mediateur=mediateur, citizen_id=citizen_id)
        .select_related("place")
        .first()
    )


class Mediateur(AccessRole):
    """A médiateur in an active assisted session with the citizen (consented, running, still a médiateur)."""

    actor = Actor.MEDIATEUR

    def scope(self, user, now):
        sessions = titles.models.AssistedSession.objects.active(now).filter(mediateur=user)
        return Q(applicant__in=sessions.values("citizen"))

    def allows(self, application, user, now):
        return assisting_session(user, application.applicant_id, now) is not None


class Agent(AccessRole):
    """An agent of the CERT the file is routed to, once it is filed."""

    actor = Actor.AGENT

    def scope(self, user, now):
        return Q(cert__in=CERT_AGENTS.organisation_ids(user)) & ~Q(status=Status.DRAFT)

    def allows(self, application, user, now):
        return (
            application.cert_id is not None
            and application.status != Status.DRAFT
            and CERT_AGENTS.is_member_of(user, application.cert_id)
        )


class Roles:
    """The registry of access roles, by actor."""

    def __init__(self):
        self._roles = {}

    def register(self, role):
        if not role.actor:
            raise ImproperlyConfigured(f"{role!r} names no actor")
        if not role.needs_second_factor and role.actor != Actor.APPLICANT:
            raise ImproperlyConfigured(f"{role!r}: only the applicant reaches a file without a second factor")
        self._roles[role.actor] = role
        return role

    def __iter__(self):
        return iter(self._roles.values())

    def __getitem__(self, actor):
        return self._roles[actor]

    def __contains__(self, actor):
        return actor in self._roles


roles = Roles()
APPLICANT = roles.register(Applicant())
FILER = roles.register(Filer())
MEDIATEUR = roles.register(Mediateur())
AGENT = roles.register(Agent())


def visible(user, actors=None):
    """Return the `Q` of the files `user` reaches in any of `actors` (every registered role if None)."""
    condition = NOTHING
    for role in roles:
        if actors is None or role.actor in actors:
            condition |= role.queryset(user)
    return condition


def applicant_side(user):
    """Return the `Q` of the files `user` reaches as the citizen, their mandated organisation or their médiateur."""
    return visible(user, APPLICANT_SIDE)


def actor_roles(application, user):
    """Return the capacities in which `user` may act on `application` (empty if none); `{Actor.SYSTEM}` for the
    portal itself (`user` None). The applicant costs no query: their file is theirs in that capacity only."""
    if user is None:
        return {Actor.SYSTEM}
    if not user.is_authenticated:
        return set()
    if application.applicant_id == user.pk and not in_own_name(application):
        return {Actor.APPLICANT}
    if not second_factor_passed(user):  # every other role needs it: spare their queries
        return set()
    now = timezone.now()
    return {role.actor for role in roles if role.check(application, user, now)}

