from rest_framework.permissions import BasePermission

from api.models import ApiKey


class HasScope(BasePermission):
    """The key has the scope the view names for the request's method (`required_scopes = {"GET": "read", …}`)."""

    message = "Cette clé n'a pas le droit nécessaire."

    def has_permission(self, request, view):
        if not isinstance(request.auth, ApiKey):
            return False
        needed = view.required_scopes.get(request.method, view.required_scopes.get("*"))
        if needed is None or needed in request.auth.scopes:
            return True
        self.message = f"Cette clé n'a pas le droit « {needed} » nécessaire à cette action."
        return False
