from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, authentication_classes, permission_classes, renderer_classes
from rest_framework.renderers import JSONRenderer

from api.problems import problem_response, refuse


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
@authentication_classes([])
@permission_classes([])
@renderer_classes([JSONRenderer])
def not_found(request):
    """An address of /api/v1/ that names nothing: a problem, not the site's HTML page."""
    return problem_response("introuvable", "Aucune opération de l'API à cette adresse.", instance=request.path)


not_found.refuse = refuse
