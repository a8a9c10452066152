"""How the citizen's pages reach a file: through the applicant side's roles, 404 otherwise (never 403)."""

from django.http import Http404
from django.shortcuts import get_object_or_404

from titles import page_cache, services
from titles.models import Application, normalise_public_code
from titles.registry import registry
from titles.workflow import APPLICANT_SIDE, Actor


def procedure_or_404(code):
    if code not in registry:
        raise Http404("Démarche inconnue")
    return registry.get(code)


def applicant_side_file(request, reference, *, editable=False, fingerprinted=False):
    """Return the application the user may see on the applicant side, or 404 (never 403: no existence leak).

    The file is fetched by its reference, then `actor_roles` decides: the applicant, the organisation filing
    under a valid mandate, or the médiateur of an active session. The roles are kept on the object for the view.
    """
    # Only the centre is joined: each more join costs PostgreSQL about 0.2 ms of planning on every page, and the
    # organisation, mandate and filer are empty on most files (an empty foreign key costs no query).
    queryset = Application.objects.select_related("cert")
    if fingerprinted:  # the file's page: what its cached fragment is made of comes with the row
        queryset = page_cache.with_fingerprint(queryset)
    application = get_object_or_404(queryset, reference=normalise_public_code(reference))
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
