import time

from django.conf import settings
from django.shortcuts import render

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
