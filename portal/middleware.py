import logging
import time

from django.conf import settings
from django.core import signals
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.log import log_response

from core.http import max_body_bytes  # noqa: F401 (the decorator whose limit process_view reads)

REFRESHED_KEY = "_refreshed_at"


class SessionRefreshMiddleware:
    """Keep a session alive while it is used: an idle timeout, without writing the session on every request.

    ``SESSION_COOKIE_AGE`` is an idle timeout: each use of a signed-in session pushes its expiry back. Django's
    ``SESSION_SAVE_EVERY_REQUEST`` does that by writing the session (a database write and a cache write) on every
    request; here it is written at most once every ``SESSION_REFRESH_INTERVAL`` seconds, so a session expires
    between ``SESSION_COOKIE_AGE - SESSION_REFRESH_INTERVAL`` and ``SESSION_COOKIE_AGE`` seconds after its last use.
    Placed right after ``SessionMiddleware``, which then saves the session and re-sends the cookie.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.interval = getattr(settings, "SESSION_REFRESH_INTERVAL", 60)

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or (not session.accessed and settings.SESSION_COOKIE_NAME not in request.COOKIES):
            return response  # no session in this request: nothing to keep alive, nothing to load
        refreshed_at = session.get(REFRESHED_KEY, 0)
        if session.is_empty():
            return response  # an anonymous visit, or a cookie whose session expired: do not create one
        now = int(time.time())
        if session.modified or now - refreshed_at >= self.interval:
            session[REFRESHED_KEY] = now  # marks it modified: SessionMiddleware saves it with a new expiry
        return response


NUL = "\x00"


class RequestGuardMiddleware:
    """Refuse, with a French page, what the database or the disk should never see, before the view runs.

    * A NUL character in the path, the query string or a form value answers 400: PostgreSQL refuses NUL in text
      (it would be a 500 wherever the value reaches a query), and no legitimate input holds one.
    * A body larger than the view accepts answers 413 from its ``Content-Length``, before a byte of it is read:
      Django would otherwise receive a whole upload (spooled to disk) before the form refuses it. The limit is
      ``REQUEST_BODY_MAX_BYTES`` unless the view declares its own (:func:`core.http.max_body_bytes`). A body without
      ``Content-Length`` (chunked) is never read by Django.

    Both checks run in ``process_view``, once the view (and so its limit) is known and every middleware has set up
    the request (the error pages are full pages, with the signed-in header). The middleware sits before
    ``CsrfViewMiddleware``, whose ``process_view`` reads the body to find the token: ``process_view`` hooks run in
    the order of ``MIDDLEWARE``, and no middleware reads the body on the way in. A path that matches no view is a
    404 without reaching any query.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if NUL in request.path or _has_nul(request.GET):
            return _refuse(request, view_func, 400)
        limit = getattr(view_func, "max_body_bytes", None) or settings.REQUEST_BODY_MAX_BYTES
        if callable(limit):
            limit = limit()
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _refuse(request, view_func, 400)
        if length > limit:
            return _refuse(request, view_func, 413, limit=limit)
        if request.method == "POST" and _has_nul(request.POST):
            return _refuse(request, view_func, 400)
        return None


def _has_nul(query_dict):
    return any(NUL in key or any(NUL in value for value in values) for key, values in query_dict.lists())


def _refuse(request, view_func, status, **context):
    # A view may answer in its own format (`view_func.refuse(request, status, **context)`: the API's problem+json).
    refuse = getattr(view_func, "refuse", None)
    if refuse is not None:
        return refuse(request, status, **context)
    return render(request, f"errors/{status}.html", context, status=status)


class FrenchErrorPagesMiddleware:
    """Under DEBUG (the embedded default of `make run`), answer with the portal's own French error pages.

    Django shows its technical pages whenever DEBUG is on: an English 404 listing every URL of the portal for a
    mistyped or expired link, a traceback for a 500 or a 400. People trying the embedded default are not
    developers, so the portal's pages are served instead, as in production; a developer who wants Django's pages
    sets ``TECHNICAL_ERROR_PAGES=true``. Off DEBUG, Django already calls the handlers of ``portal.urls`` and this does
    nothing. Placed last in ``MIDDLEWARE``: its ``process_exception`` sees the view's exception before Django turns
    it into a technical page, and its response still passes through the CSP and the other middlewares.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 404 and request.resolver_match is None and self.active():
            return _refuse(request, None, 404)  # no URL matched: Django's technical 404 with its list of URLs
        return response

    @staticmethod
    def active():
        return settings.DEBUG and not getattr(settings, "TECHNICAL_ERROR_PAGES", False)

    def process_exception(self, request, exception):
        if not self.active() or isinstance(exception, (PermissionDenied, MultiPartParserError)):
            return None  # Django answers these with handler403 and handler400 under DEBUG too
        if isinstance(exception, Http404):
            return _refuse(request, None, 404)
        if isinstance(exception, SuspiciousOperation):
            logging.getLogger(f"django.security.{exception.__class__.__name__}").error(str(exception))
            return _refuse(request, None, 400)
        if isinstance(exception, BadRequest):
            return _refuse(request, None, 400)
        # As Django does for an uncaught exception: the signal (error reporting, the test client) and the log.
        signals.got_request_exception.send(sender=None, request=request)
        response = render(request, "errors/500.html", status=500)
        log_response("%s: %s", response.reason_phrase, request.path, response=response, request=request,
                      exception=exception)
        return response
