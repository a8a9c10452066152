import time

from django.conf import settings

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
