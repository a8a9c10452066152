from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter

from api.docs import problem_responses
from api.idempotency import HEADER

IDEMPOTENCY_KEY = OpenApiParameter(
    HEADER, {"type": "string", "minLength": 1, "maxLength": 255}, OpenApiParameter.HEADER,
    description="Facultatif : une valeur unique par requête (ex. un UUID). Rejouée dans les 24 heures avec le même "
                "corps, la requête reçoit la première réponse (en-tête `Idempotent-Replayed: true`) ; avec un autre "
                "corps : erreur 422 ; pendant que la première est en cours : elle attend, puis 409.",
)


class ApiAutoSchema(AutoSchema):
    """Every POST documents the Idempotency-Key header and the answers it may bring: 400 (a key of the wrong
    length), 409 (the same key's request still running) and 422 (the key used for another request)."""

    def _get_response_bodies(self, direction="response"):
        # Hooked here rather than in get_response_serializers, which @extend_schema overrides on each view.
        responses = super()._get_response_bodies(direction)
        if self.method == "POST":
            for key, response in problem_responses(400, 409, 422).items():
                code, media_types = str(key[0]), key[1:]
                if code not in responses:
                    responses[code] = self._get_response_for_code(response, code, media_types, direction)
        return responses

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if self.method == "POST":
            parameters = [*parameters, IDEMPOTENCY_KEY]
        return parameters
