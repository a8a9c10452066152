"""Errors as `application/problem+json` (RFC 9457): a stable `type` per error, a French `title` and `detail`, and
for invalid input an `errors` member naming each field."""

import math

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response

from core.exceptions import Refused
from titles.workflow import InvalidTransition

PROBLEM_CONTENT_TYPE = "application/problem+json"

# code -> (HTTP status, French title). The documentation page lists them (api/docs.py).
PROBLEMS = {
    "authentification": (401, "Authentification requise"),
    "droits-insuffisants": (403, "Droit de la clé insuffisant"),
    "introuvable": (404, "Ressource introuvable"),
    "methode-non-autorisee": (405, "Méthode non autorisée"),
    "format-non-accepte": (406, "Format de réponse non disponible"),
    "type-de-contenu": (415, "Type de contenu non pris en charge"),
    "requete-invalide": (400, "Requête invalide"),
    "validation": (400, "Données invalides"),
    "transition-impossible": (409, "Action impossible dans l'état du dossier"),
    "action-refusee": (422, "Action refusée"),
    "paiement-refuse": (402, "Paiement refusé par la banque"),
    "idempotence-conflit": (422, "Clé d'idempotence déjà utilisée pour une autre requête"),
    "idempotence-en-cours": (409, "Requête identique en cours de traitement"),
    "trop-de-requetes": (429, "Trop de requêtes"),
    "trop-volumineux": (413, "Requête trop volumineuse"),
    "erreur-serveur": (500, "Erreur interne"),
}


def problem_type(code):
    return f"{settings.SITE_URL}/api/v1/problems/{code}"


class Problem(exceptions.APIException):
    """An error with its stable code; `errors` lists `{field, detail}` for invalid input."""

    def __init__(self, code, detail, *, errors=None, status_code=None):
        self.problem = code
        self.status_code = status_code or PROBLEMS[code][0]
        self.errors = errors
        super().__init__(detail, code)


def problem_response(code, detail, *, status_code=None, errors=None, instance="", headers=None):
    status_code = status_code or PROBLEMS[code][0]
    body = {
        "type": problem_type(code),
        "title": PROBLEMS[code][1],
        "status": status_code,
        "detail": str(detail),
    }
    if instance:
        body["instance"] = instance
    if errors is not None:
        body["errors"] = errors
    return Response(body, status=status_code, content_type=PROBLEM_CONTENT_TYPE, headers=headers)


def refuse(request, status_code, limit=None):
    """Answer what `portal.middleware.RequestGuardMiddleware` refuses before an API view runs, as problem+json
    (a NUL character in the request, an unreadable Content-Length, a body over the limit)."""
    if status_code == 413:
        code, detail = "trop-volumineux", f"La requête dépasse la taille acceptée ({limit // (1024 * 1024)} Mo)."
    else:
        code, detail = "requete-invalide", "La requête contient un caractère interdit (caractère nul) ou un en-tête " \
                                           "Content-Length illisible."
    body = {"type": problem_type(code), "title": PROBLEMS[code][1], "status": status_code, "detail": detail,
            "instance": request.path}
    return JsonResponse(body, status=status_code, content_type=PROBLEM_CONTENT_TYPE,
                        json_dumps_params={"ensure_ascii": False})


def field_errors(detail, parent=""):
    """Flatten DRF's or a Django form's errors into `[{field, detail}]`; `non_field_errors` / `__all__` → ""."""
    found = []
    if isinstance(detail, dict):
        for name, value in detail.items():
            field = "" if name in ("non_field_errors", "__all__") else name
            found += field_errors(value, f"{parent}.{field}" if parent and field else (field or parent))
    elif isinstance(detail, (list, tuple)):
        for value in detail:
            found += field_errors(value, parent)
    else:
        found.append({"field": parent, "detail": str(detail)})
    return found


def form_errors(form):
    """Return a bound Django form's errors as `[{field, detail}]` (the form's own fields are the API's)."""
    return [
        {"field": "" if name == "__all__" else name, "detail": str(message)}
        for name, messages in form.errors.items()
        for message in messages
    ]


def _translate(exc):
    """Return (code, detail, errors) for any exception a view may raise, or None for one we do not map."""
    if isinstance(exc, Problem):
        return exc.problem, exc.detail, exc.errors
    if isinstance(exc, (Http404, exceptions.NotFound)):
        return "introuvable", "Ressource introuvable, ou hors de portée de cette clé.", None
    if isinstance(exc, InvalidTransition):
        return "transition-impossible", exc.reason, None
    if isinstance(exc, Refused):
        return "action-refusee", exc.reason, None
    if isinstance(exc, exceptions.ValidationError):
        errors = field_errors(exc.detail)
        return "validation", "Certaines données sont invalides : voyez « errors ».", errors
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        detail = exc.detail if isinstance(exc, exceptions.AuthenticationFailed) else (
            "Authentification requise : envoyez « Authorization: Bearer <clé d'API> »."
        )
        return "authentification", detail, None
    if isinstance(exc, (exceptions.PermissionDenied, DjangoPermissionDenied)):
        detail = getattr(exc, "detail", "") or "Cette clé n'a pas le droit de faire cette action."
        return "droits-insuffisants", detail, None
    if isinstance(exc, exceptions.MethodNotAllowed):
        return "methode-non-autorisee", "Méthode HTTP non autorisée sur cette adresse.", None
    if isinstance(exc, exceptions.NotAcceptable):
        return "format-non-accepte", "Cette adresse ne répond qu'en JSON.", None
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return "type-de-contenu", "Envoyez du JSON (application/json) ou un formulaire multipart.", None
    if isinstance(exc, exceptions.ParseError):
        return "requete-invalide", "Le corps de la requête est illisible (JSON mal formé ?).", None
    if isinstance(exc, exceptions.Throttled):
        wait = _retry_after(exc)
        detail = f"Trop de requêtes pour cette clé : réessayez dans {wait} seconde{'s' if wait > 1 else ''}." if wait \
            else "Trop de requêtes pour cette clé : réessayez plus tard."
        return "trop-de-requetes", detail, None
    return None


def _retry_after(exc):
    """Whole seconds until a throttled key may call again (at least 1), or None when unknown."""
    return max(1, math.ceil(exc.wait)) if exc.wait is not None else None


def exception_handler(exc, context):
    """The API's exception handler: every error answers problem+json; an unexpected one is left to Django (500)."""
    translated = _translate(exc)
    if translated is None:
        return None
    code, detail, errors = translated
    status_code = getattr(exc, "status_code", None) if isinstance(exc, exceptions.APIException) else None
    if code in ("introuvable", "transition-impossible", "action-refusee"):
        status_code = None
    headers = {}
    if code == "authentification":
        status_code = status.HTTP_401_UNAUTHORIZED
        headers["WWW-Authenticate"] = 'Bearer realm="api"'
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        headers["Retry-After"] = str(_retry_after(exc))
    request = context.get("request")
    return problem_response(
        code, detail, status_code=status_code, errors=errors, instance=request.path if request else "",
        headers=headers,
    )
