from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter

from api.idempotency import HEADER

IDEMPOTENCY_KEY = OpenApiParameter(
    HEADER, str, OpenApiParameter.HEADER,
    description="Facultatif : une valeur unique par requête (ex. un UUID). Rejouée dans les 24 heures avec le même "
                "corps, la requête reçoit la première réponse (en-tête `Idempotent-Replayed: true`) ; avec un autre "
                "corps : erreur 422 ; pendant que la première est en cours : elle attend, puis 409.",
)


class ApiAutoSchema(AutoSchema):
    """Every POST documents the Idempotency-Key header."""

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if self.method == "POST":
            parameters = [*parameters, IDEMPOTENCY_KEY]
        return parameters
