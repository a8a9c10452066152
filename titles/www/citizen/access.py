"""How the citizen's pages reach a file: through the applicant side's roles, 404 otherwise (never 403)."""

from dataclasses import dataclass

from django.http import Http404
from django.urls import reverse

from core.compiled_query import CompiledQuery
from titles import page_cache, services
from titles.models import Application, AssistedSession, Mandate, normalise_public_code
from titles.registry import registry
from titles.workflow import APPLICANT_SIDE, Actor


def procedure_or_404(code):
    if code not in registry:
        raise Http404("Démarche inconnue")
    return registry.get(code)


# Only the centre is joined: each more join costs PostgreSQL about 0.2 ms of planning on every page, and the
# organisation, mandate and filer are empty on most files (an empty foreign key costs no query). Compiled once per
# thread (core/compiled_query.py): building the SQL of the file's page (the subqueries of its fingerprint) took
# longer than running it.
_FILE = CompiledQuery(lambda reference: Application.objects.filter(reference=reference).select_related("cert")
                      .order_by()[:1], reference="compiled-file-reference")
# The file's page: what its cached fragment and page are made of comes with the row (titles/page_cache.py). No
# join: a page served from the cache reads nothing of the centre (its id is in the fingerprint); a page rendered
# reads it then, one query.
_FINGERPRINTED_FILE = CompiledQuery(
    lambda reference: page_cache.with_fingerprint(Application.objects.filter(reference=reference)).order_by()[:1],
    reference="compiled-file-reference")


def applicant_side_file(request, reference, *, editable=False, fingerprinted=False):
    """Return the application the user may see on the applicant side, or 404 (never 403: no existence leak).

    The file is fetched by its reference, then `actor_roles` decides: the applicant, the organisation filing
    under a valid mandate, or the médiateur of an active session. The roles are kept on the object for the view.
    """
    query = _FINGERPRINTED_FILE if fingerprinted else _FILE
    application = query.first(reference=normalise_public_code(reference))
    if application is None:
        raise Http404("Dossier introuvable")
    if application.applicant_id == request.user.pk:
        application.applicant = request.user  # the usual case: the applicant reads their own file
    application.roles = services.actor_roles(application, request.user) & APPLICANT_SIDE
    if not application.roles or (editable and not can_edit(request.user, application)):
        raise Http404("Dossier introuvable")
    return application


def can_edit(user, application):
    roles = getattr(application, "roles", None)
    if roles is None:
        roles = services.actor_roles(application, user)
    if application.organisation_id:
        return Actor.FILER in roles
    return bool(roles & {Actor.APPLICANT, Actor.MEDIATEUR})


@dataclass(frozen=True)
class ActingFor:
    """Someone acting on the applicant side for another person: the médiateur of an assisted `session`, or a
    professional under a `mandate`. Every page they see says whom they help, by whom, until when, and how to end."""

    citizen: object
    helper: object
    session: AssistedSession | None = None
    mandate: Mandate | None = None

    @property
    def until(self):
        return self.session.expires_at if self.session else self.mandate.valid_until


def acting_for(user, application):
    """Return the ActingFor of `user` on `application` (None for the applicant, or anyone acting for nobody)."""
    if application is None or not getattr(user, "is_authenticated", False) or application.applicant_id == user.pk:
        return None
    roles = getattr(application, "roles", None)
    if roles is None:
        roles = services.actor_roles(application, user)
    if Actor.MEDIATEUR in roles:
        session = services.assisting_session(user, application.applicant_id)
        if session is not None:
            return ActingFor(application.applicant, user, session=session)
    if Actor.FILER in roles and application.mandate_id:
        return ActingFor(application.applicant, user, mandate=application.mandate)
    return None


def acting_in_session(session):
    """Return the ActingFor of the médiateur of an active `session` (the console's session page, a start page)."""
    return ActingFor(session.citizen, session.mediateur, session=session)


def acting_under_mandate(user, mandate):
    return ActingFor(mandate.citizen, user, mandate=mandate)


def space_link(acting):
    """The breadcrumb's first link: the médiateur's session with this person, else Mon espace."""
    if acting is not None and acting.session is not None:
        return {
            "url": reverse("mediation:session", kwargs={"pk": acting.session.pk}),
            "title": f"Séance avec {acting.citizen.get_full_name()}",
        }
    return {"url": reverse("titles:dashboard"), "title": "Mon espace"}
