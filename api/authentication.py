"""`Authorization: Bearer <key>`: the key acts as the member of its organisation who created it.

The request's user is the key's creator, taken as having passed the second factor — the key itself is the
credential, made behind the second factor by the organisation's manager — so that `titles.permissions` answers for
the API exactly as for the web pages. The views narrow everything to the key's organisation (`request.auth`) and
check its scopes on top (api/permissions.py).
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from api import services


class KeyCredential:
    """Stands where django-otp puts the verified device (`accounts.models.second_factor_passed` reads it)."""

    persistent_id = None

    def __init__(self, api_key):
        self.api_key = api_key

    def __repr__(self):
        return f"<KeyCredential {self.api_key.prefix}>"


class ApiKeyAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword:
            return None
        if len(header) != 2:
            raise AuthenticationFailed("En-tête Authorization invalide : écrivez « Bearer <clé> ».")
        try:
            full_key = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed("Clé d'API invalide.") from None
        api_key = services.key_for(full_key)
        if api_key is None:
            raise AuthenticationFailed("Clé d'API inconnue ou révoquée.")
        user = api_key.created_by
        user.checked_memberships = frozenset({api_key.organisation_id})  # key_for checked it (titles.permissions)
        user.otp_device = KeyCredential(api_key)
        user.is_verified = lambda: True
        return user, api_key

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiKeyAuthentication"
    name = "cleApi"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "Clé d'API de l'organisation, créée par son responsable dans l'espace professionnel "
                           "(« Clés d'API ») : `Authorization: Bearer garage-api-xxxxxxxx_…`.",
        }
