"""The base of every API view: key authentication, scopes, problem+json errors, Idempotency-Key on POST, and the
journal of the calls."""

import logging

from django.db.models import Q
from rest_framework import exceptions, generics
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.renderers import JSONRenderer

from api import idempotency, services
from api.authentication import ApiKeyAuthentication
from api.models import ApiKey
from api.permissions import HasScope
from api.problems import exception_handler, problem_response, refuse
from api.schema import ApiAutoSchema
from api.throttling import KeyRateThrottle
from titles.models import Application
from titles.permissions import visible
from titles.workflow import Actor

logger = logging.getLogger(__name__)


class ApiView(generics.GenericAPIView):
    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [HasScope]
    throttle_classes = [KeyRateThrottle]
    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    required_scopes = {"*": "read"}
    pagination_class = None
    schema = ApiAutoSchema()
    _idempotency_record = None

    @classmethod
    def as_view(cls, **initkwargs):
        view = super().as_view(**initkwargs)
        view.refuse = refuse  # what the request guard refuses before the view runs: problem+json too
        return view

    def get_exception_handler(self):
        return exception_handler

    def handle_exception(self, exc):
        if isinstance(exc, _Replay):
            return exc.response
        try:
            return super().handle_exception(exc)
        except Exception:  # anything no handler maps: a problem 500, never Django's HTML page
            if isinstance(exc, exceptions.APIException):
                raise
            logger.exception("API error on %s %s", self.request.method, self.request.path)
            return problem_response("erreur-serveur", "Une erreur interne est survenue ; elle est signalée à "
                                                      "l'équipe du portail.", instance=self.request.path)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        key = request.headers.get(idempotency.HEADER)
        if request.method == "POST" and key is not None:
            record, replayed = idempotency.begin(request, request.auth.organisation, key)
            if replayed is not None:
                raise _Replay(replayed)
            self._idempotency_record = record

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if self._idempotency_record is not None and not response.has_header(idempotency.REPLAYED_HEADER):
            idempotency.complete(self._idempotency_record, response)
        api_key = getattr(request, "_auth", None)  # set once authentication ran, whatever its outcome
        if isinstance(api_key, ApiKey) and not response.has_header(idempotency.REPLAYED_HEADER):
            services.record_call(api_key, method=request.method, path=request.path,
                                 status_code=response.status_code)
        return response

    # What the key reaches -------------------------------------------------------------------------------------

    @property
    def api_key(self):
        return self.request.auth

    @property
    def organisation(self):
        return self.request.auth.organisation

    def files(self):
        """The files the key reaches: its organisation's, filed under a mandate its creator may act on, through
        the same roles as the web (`titles.permissions`)."""
        user = self.request.user
        return Application.objects.filter(
            visible(user, {Actor.FILER}) & Q(organisation=self.organisation)
        )


class _Replay(Exception):
    def __init__(self, response):
        self.response = response
