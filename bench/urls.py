"""The bench's URLconf (ROOT_URLCONF=bench.urls): the whole portal plus a bare view, served by the same gunicorn
with the same middleware, so that the two are measured side by side."""

from django.http import HttpResponse
from django.urls import path

import bench.procedure  # noqa: F401  (registers the bench's procedure in the web processes)
from portal.urls import handler400, handler403, handler404, handler500  # noqa: F401
from portal.urls import urlpatterns as portal_urlpatterns


def hello(request):
    return HttpResponse("Hello, world", content_type="text/plain")


def hello_signed_in(request):
    """The floor of any signed-in page: the session read and the user loaded, nothing else."""
    if not request.user.is_authenticated:
        return HttpResponse("Not signed in", status=403, content_type="text/plain")
    return HttpResponse(f"Hello, user {request.user.pk}", content_type="text/plain")


urlpatterns = [path("bench/hello", hello), path("bench/hello-signed-in", hello_signed_in), *portal_urlpatterns]
