"""The API's documentation: the problems every operation may answer, for the schema, and the readable page built
from the OpenAPI schema (served by us, no script: the site's CSP allows none from elsewhere)."""

from functools import lru_cache

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from api.problems import PROBLEM_CONTENT_TYPE, PROBLEMS

# When each HTTP status is answered, in French (the schema's response descriptions).
WHEN = {
    400: "Requête ou données invalides (`errors` nomme chaque champ en cause), ou en-tête Idempotency-Key "
         "de plus de 255 caractères ou vide.",
    401: "Clé d'API absente, inconnue ou révoquée.",
    402: "Paiement par carte refusé par la banque (`paiement-refuse`) : rien n'est débité, le dossier reste un "
         "brouillon.",
    403: "La clé n'a pas le droit (scope) que demande l'opération.",
    404: "Ressource introuvable, ou d'une autre organisation (jamais 403 : son existence ne se devine pas).",
    409: "Action impossible dans l'état du dossier, ou requête identique encore en cours (idempotence).",
    422: "Action refusée par les règles de la démarche, ou clé d'idempotence réutilisée pour une autre requête.",
    429: "Trop de requêtes pour cette clé (par minute ou par heure) : l'en-tête `Retry-After` dit dans combien de "
         "secondes réessayer.",
}


class FieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="Le champ en cause (vide : l'ensemble de la requête).")
    detail = serializers.CharField(help_text="Le message, en français.")


class ProblemSerializer(serializers.Serializer):
    """An error, as RFC 9457 describes it."""

    type = serializers.URLField(help_text="Adresse stable qui identifie l'erreur, ex. "
                                          "https://…/api/v1/problems/validation.")
    title = serializers.CharField(help_text="Intitulé de l'erreur, en français.")
    status = serializers.IntegerField(help_text="Le code HTTP.")
    detail = serializers.CharField(help_text="Explication pour ce cas, en français.")
    instance = serializers.CharField(required=False, help_text="L'adresse appelée.")
    errors = FieldErrorSerializer(many=True, required=False, help_text="Les champs invalides (erreur 400).")


def errors(*statuses):
    """Return the `responses` entries of these error statuses, as problem+json; every operation may answer 429
    (throttling per key, api/throttling.py)."""
    return problem_responses(*statuses, 429)


def problem_responses(*statuses):
    return {
        (code, PROBLEM_CONTENT_TYPE): OpenApiResponse(ProblemSerializer, description=WHEN[code]) for code in statuses
    }


@lru_cache(maxsize=1)
def _schema():
    return SchemaGenerator(patterns=None, urlconf=None).get_schema(request=None, public=True)


METHODS = ("get", "post", "put", "patch", "delete")


def documentation(request):
    """The readable documentation: every operation with its description, parameters, body, responses; the
    problems; the authentication and idempotency."""
    schema = _schema()
    operations = []
    for path, item in schema["paths"].items():
        for method in METHODS:
            if method in item:
                operation = item[method]
                operations.append({
                    "method": method.upper(), "path": path, "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""), "tag": (operation.get("tags") or [""])[0],
                    "parameters": operation.get("parameters", []),
                    "responses": sorted(operation.get("responses", {}).items()),
                    "body": operation.get("requestBody", {}).get("content", {}),
                })
    problems = [{"code": code, "status": status, "title": title} for code, (status, title) in PROBLEMS.items()]
    return render(request, "api/documentation.html", {
        "info": schema["info"], "operations": operations, "problems": problems,
        "schema_url": reverse("api:schema"),
        "breadcrumb_data": {"current": "API des professionnels"},
    })


def problem(request, code):
    """A problem type's address leads to its description in the documentation."""
    if code not in PROBLEMS:
        raise Http404("Type d'erreur inconnu")
    return redirect(f"{reverse('api:documentation')}#probleme-{code}")
