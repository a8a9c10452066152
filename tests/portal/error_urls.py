"""The portal's URLs plus views that fail in every way a view can, for tests/portal/test_error_pages.py."""

from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404
from django.urls import path

from portal.urls import handler400, handler403, handler404, handler500  # noqa: F401 (the portal's handlers)
from portal.urls import urlpatterns as portal_urlpatterns


def fail(exception):
    def view(request):
        raise exception

    return view


urlpatterns = [
    path("echec/404/", fail(Http404("Aucun dossier ne correspond."))),
    path("echec/403/", fail(PermissionDenied())),
    path("echec/400/", fail(BadRequest("En-tête illisible"))),
    path("echec/400-suspect/", fail(SuspiciousOperation("Chemin suspect"))),
    path("echec/500/", fail(RuntimeError("panne"))),
    *portal_urlpatterns,
]
