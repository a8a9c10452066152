"""The bench's URLconf (ROOT_URLCONF=bench.urls): the whole portal plus a bare view, served by the same gunicorn
with the same middleware, so that the two are measured side by side."""

from django.http import HttpResponse
from django.urls import path
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

import bench.procedure  # noqa: F401  (registers the bench's procedure in the web processes)
from api.authentication import ApiKeyAuthentication
from portal.urls import handler400, handler403, handler404, handler500  # noqa: F401
from portal.urls import urlpatterns as portal_urlpatterns


def hello(request):
    return HttpResponse("Hello, world", content_type="text/plain")


def hello_signed_in(request):
    """The floor of any signed-in page: the session read and the user loaded, nothing else."""
    if not request.user.is_authenticated:
        return HttpResponse("Not signed in", status=403, content_type="text/plain")
    return HttpResponse(f"Hello, user {request.user.pk}", content_type="text/plain")


class BareApiView(APIView):
    """The floor of any API call: DRF with the API's key authentication (one query for the key, its organisation and
    creator, one for the membership) and JSON, nothing else: no scope, throttle, journal or file."""

    authentication_classes = [ApiKeyAuthentication]
    permission_classes = []
    renderer_classes = [JSONRenderer]

    def get(self, request):
        if request.auth is None:
            return Response({"detail": "no key"}, status=401)
        return Response({"key": request.auth.prefix, "organisation": request.auth.organisation_id})


urlpatterns = [path("bench/hello", hello), path("bench/hello-signed-in", hello_signed_in),
               path("bench/api-bare", BareApiView.as_view()), *portal_urlpatterns]
