"""FranceConnect v2 (eidas1) through mozilla-django-oidc: a narrow backend and two views.

The library verifies the signature and the nonce; it does not check ``iss``, ``aud``
(mozilla-django-oidc#340), ``acr``, that the ID token has an ``exp``, nor that the userinfo
``sub`` is the ID token's (OpenID Connect Core 5.3.2); it lets a lost state end in a 400 and
logs out whoever is signed in when a callback fails. This module adds exactly that, matches
people on ``sub`` only and keeps FranceConnect's identity read-only.
"""

import datetime
import logging
import secrets
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from accounts import signals
from accounts.enums import Gender, IdentitySource

logger = logging.getLogger(__name__)

# The eIDAS levels in increasing order; FranceConnect (not FC+) gives eidas1.
ACR_LEVELS = ("eidas1", "eidas2", "eidas3")
# Claims an ID token must carry (OpenID Connect Core 2); PyJWT checks ``exp`` only when it is there.
ID_TOKEN_REQUIRED_CLAIMS = ("sub", "exp", "iat")
LOGOUT_STATE_COOKIE = "fc_logout_state"
# Where to land after FranceConnect's end-session when it is not the ordinary « déconnecté » page (the kiosk's end).
LOGOUT_NEXT_COOKIE = "fc_logout_next"

# Callback errors FranceConnect sends back to redirect_uri, in the words a citizen understands.
CALLBACK_ERROR_MESSAGES = {
    "access_denied": "Vous avez annulé la connexion avec FranceConnect. Vous pouvez réessayer ou utiliser votre "
    "adresse électronique et votre mot de passe.",
    "server_error": "FranceConnect est momentanément indisponible. Merci de réessayer dans quelques minutes.",
    "temporarily_unavailable": (
        "FranceConnect est momentanément indisponible. Merci de réessayer dans quelques minutes."
    ),
}
GENERIC_FAILURE_MESSAGE = (
    "La connexion avec FranceConnect n'a pas pu aboutir. Merci de recommencer depuis cette page ; "
    "si le problème persiste, connectez-vous avec votre adresse électronique."
)
EXPIRED_STATE_MESSAGE = (
    "Votre demande de connexion avec FranceConnect a expiré ou a déjà été utilisée (retour arrière, plusieurs "
    "onglets ouverts…). Merci de cliquer à nouveau sur le bouton FranceConnect."
)


class SubjectMismatch(SuspiciousOperation):
    """The userinfo endpoint answered for another person than the ID token."""


def franceconnect_enabled():
    return bool(settings.OIDC_RP_CLIENT_ID and settings.OIDC_OP_ISSUER)


def parse_birthdate(value):
    """Return a date from FranceConnect's ``YYYY-MM-DD``; presumed dates (``-01-01``, ``-MM-01``) are kept as given."""
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        # Some identity providers send "1962-00-00" for an unknown day and month.
        year, _, rest = value.partition("-")
        if year.isdigit():
            month, _, day = rest.partition("-")
            month = int(month) if month.isdigit() and 1 <= int(month) <= 12 else 1
            day = int(day) if day.isdigit() and 1 <= int(day) <= 28 else 1
            return datetime.date(int(year), month, day)
        return None


def identity_from_claims(claims):
    """Map FranceConnect claims to User fields."""
    gender = claims.get("gender") or ""
    return {
        # Multi-part given names arrive space-separated ("Angela Claire Louise"): keep them all.
        "given_names": " ".join((claims.get("given_name") or "").split()),
        "family_name": (claims.get("family_name") or "").strip(),
        "usage_name": (claims.get("preferred_username") or "").strip(),
        "birth_date": parse_birthdate(claims.get("birthdate")),
        # Born abroad: FranceConnect sends an empty birthplace and a 99xxx country.
        "birth_place": (claims.get("birthplace") or "").strip(),
        "birth_country": (claims.get("birthcountry") or "").strip(),
        "gender": gender if gender in Gender.values else "",
    }


class FranceConnectBackend(OIDCAuthenticationBackend):
    def authenticate(self, request, **kwargs):
        if not franceconnect_enabled():
            return None
        return super().authenticate(request, **kwargs)

    def verify_token(self, token, **kwargs):
        """Verify signature and nonce (the library), then issuer, audience and, for the ID token, acr."""
        payload = super().verify_token(token, **kwargs)
        if payload.get("iss") != settings.OIDC_OP_ISSUER:
            raise SuspiciousOperation(f"FranceConnect: unexpected issuer {payload.get('iss')!r}")
        audience = payload.get("aud")
        audience = audience if isinstance(audience, list) else [audience]
        if self.OIDC_RP_CLIENT_ID not in audience:
            raise SuspiciousOperation("FranceConnect: token not issued for this client")
        if "nonce" in kwargs:  # the ID token, not the userinfo JWT
            missing = [claim for claim in ID_TOKEN_REQUIRED_CLAIMS if payload.get(claim) in (None, "")]
            if missing:
                raise SuspiciousOperation(f"FranceConnect: ID token without {', '.join(missing)}")
            requested = settings.OIDC_AUTH_REQUEST_EXTRA_PARAMS.get("acr_values", "eidas1")
            acr = payload.get("acr")
            if acr not in ACR_LEVELS or ACR_LEVELS.index(acr) < ACR_LEVELS.index(requested):
                raise SuspiciousOperation(f"FranceConnect: acr {acr!r} below {requested!r}")
            # Kept on the backend, not in the session: a refused login must leave the session as it was.
            self.fc_acr = acr
        return payload

    def store_tokens(self, access_token, id_token):
        """Hold the tokens until the person is known: a refused login must not write them into the session."""
        self.pending_tokens = (access_token, id_token)

    def get_userinfo(self, access_token, id_token, payload):
        """Return the userinfo claims, refusing them unless their ``sub`` is the ID token's (OIDC Core 5.3.2).

        Otherwise a provider bug or a substituted response would sign the browser in as someone else and
        overwrite that person's identity.
        """
        claims = super().get_userinfo(access_token, id_token, payload)
        if not isinstance(claims, dict) or claims.get("sub") != payload.get("sub"):
            logger.warning("FranceConnect login refused: the userinfo sub is not the ID token's")
            raise SubjectMismatch("FranceConnect: userinfo sub differs from the ID token's")
        return claims

    def get_or_create_user(self, access_token, id_token, payload):
        user = super().get_or_create_user(access_token, id_token, payload)
        if user is not None:
            super().store_tokens(*self.pending_tokens)
        return user

    def verify_claims(self, claims):
        return bool(claims.get("sub") and claims.get("family_name") and claims.get("birthdate"))

    def filter_users_by_claims(self, claims):
        return self.UserModel.objects.filter(fc_sub=claims["sub"])

    @transaction.atomic
    def create_user(self, claims):
        email = (claims.get("email") or "").strip().lower()
        if not email or self.UserModel.objects.filter(email__iexact=email).exists():
            # Never merge on e-mail: the existing local account stays separate. Give this one a unique,
            # non-deliverable placeholder the user replaces from "Mon compte".
            email = f"fc-{secrets.token_hex(8)}@franceconnect.invalid"
        user = self.UserModel(
            email=email,
            fc_sub=claims["sub"],
            identity_source=IdentitySource.FRANCECONNECT,
            email_verified_at=timezone.now() if not email.endswith(".invalid") else None,
            fc_acr=getattr(self, "fc_acr", ""),
            fc_last_login=timezone.now(),
            **identity_from_claims(claims),
        )
        user.set_unusable_password()
        user.save()
        if user.email_verified_at is not None:
            signals.address_verified.send(sender=type(user), user=user)
        logger.info("FranceConnect: created user %s", user.pk)
        return user

    def update_user(self, user, claims):
        """Refresh the identity at each login: FranceConnect is its source of truth. Leave contact data alone."""
        identity = identity_from_claims(claims)
        changed = [field for field, value in identity.items() if getattr(user, field) != value]
        for field, value in identity.items():
            setattr(user, field, value)
        user.identity_source = IdentitySource.FRANCECONNECT
        user.fc_acr = getattr(self, "fc_acr", "")
        user.fc_last_login = timezone.now()
        user.save(update_fields=[*identity, "identity_source", "fc_acr", "fc_last_login"])
        if changed:
            logger.info("FranceConnect: identity of user %s changed: %s", user.pk, ", ".join(changed))
        return user


class AuthenticateView(OIDCAuthenticationRequestView):
    """Start the FranceConnect flow, or explain that it is not available."""

    def get(self, request):
        if not franceconnect_enabled():
            messages.error(request, "La connexion avec FranceConnect n'est pas disponible sur ce portail.")
            return redirect(settings.LOGIN_URL)
        return super().get(request)


class CallbackView(OIDCAuthenticationCallbackView):
    """Turn every failure (provider error, lost state, bad token) into the login page with a French message.

    A failure never touches who is signed in: the callback is a plain GET that any site can make a browser send, so
    logging out on failure (as the library does) would let a third-party site sign people out.
    """

    def get(self, request):
        error = request.GET.get("error")
        if error:
            logger.info("FranceConnect callback error %s: %s", error, request.GET.get("error_description", ""))
            self.failure_message = CALLBACK_ERROR_MESSAGES.get(error, GENERIC_FAILURE_MESSAGE)
            # The library's own handling of an error logs out; only forget the state, so it cannot be replayed.
            states = request.session.get("oidc_states", {})
            if request.GET.get("state") in states:
                del states[request.GET["state"]]
                request.session.modified = True
            return self.login_failure()
        if "code" in request.GET and request.GET.get("state") not in request.session.get("oidc_states", {}):
            logger.info("FranceConnect callback with an unknown state")
            self.failure_message = EXPIRED_STATE_MESSAGE
            return self.login_failure()
        try:
            return super().get(request)
        # jwt.PyJWTError: PyJWT's own checks (iat in the future when our clock lags, exp, malformed token) are not
        # turned into SuspiciousOperation by the library.
        except (SuspiciousOperation, jwt.PyJWTError, requests.RequestException, ValueError, KeyError) as exc:
            logger.warning("FranceConnect login refused: %s", exc)
            return self.login_failure()

    def login_failure(self):
        messages.error(self.request, getattr(self, "failure_message", GENERIC_FAILURE_MESSAGE))
        return HttpResponseRedirect(reverse(settings.LOGIN_URL))

    def login_success(self):
        response = super().login_success()
        self.request.session["auth_method"] = "franceconnect"
        return response


def end_session(request):
    """Return (url, state): FranceConnect's end-session URL for this session, or the local landing and None."""
    id_token = request.session.get("oidc_id_token")
    if not (franceconnect_enabled() and id_token):
        return reverse("accounts:logged_out"), None
    state = secrets.token_urlsafe(32)
    query = urlencode(
        {
            "id_token_hint": id_token,
            "state": state,
            "post_logout_redirect_uri": request.build_absolute_uri(reverse("accounts:fc_logout_callback")),
        }
    )
    return f"{settings.OIDC_OP_LOGOUT_ENDPOINT}?{query}", state


def logout_everywhere(request, then=None):
    """Close the local session, then FranceConnect's when the user came through it; return the redirect.

    With FranceConnect: to its end-session endpoint (id_token_hint, state, post_logout_redirect_uri = our registered
    callback), which brings the browser back to `then` (a path of the site) or to the « déconnecté » page. Without:
    straight to `then` or that page."""
    url, state = end_session(request)
    logout(request)
    if not state:
        return redirect(then or url)
    response = redirect(url)
    cookie = {"max_age": 600, "httponly": True, "samesite": "Lax", "secure": request.is_secure()}
    response.set_signed_cookie(LOGOUT_STATE_COOKIE, state, **cookie)
    if then:
        response.set_signed_cookie(LOGOUT_NEXT_COOKIE, then, **cookie)
    return response


def provider_logout_url(request):
    """Return the end-session URL (the library's OIDC_OP_LOGOUT_URL_METHOD hook)."""
    return end_session(request)[0]


@require_GET
def logout_callback(request):
    """Land here after FranceConnect's end-session; check the state we sent, the local session is already closed."""
    expected = request.get_signed_cookie(LOGOUT_STATE_COOKIE, default=None, max_age=600)
    if expected and secrets.compare_digest(expected, request.GET.get("state", "")):
        messages.success(request, "Vous êtes déconnecté de ce portail et de FranceConnect.")
    else:
        logger.info("FranceConnect logout callback with an unexpected state")
        messages.info(request, "Vous êtes déconnecté de ce portail.")
    then = request.get_signed_cookie(LOGOUT_NEXT_COOKIE, default=None, max_age=600)
    allowed = then and url_has_allowed_host_and_scheme(then, {request.get_host()}, request.is_secure())
    response = redirect(then if allowed else "accounts:logged_out")
    response.delete_cookie(LOGOUT_STATE_COOKIE)
    response.delete_cookie(LOGOUT_NEXT_COOKIE)
    return response
