"""What a view declares to the HTTP layer of the project (read by ``portal.middleware.RequestGuardMiddleware``)."""


def max_body_bytes(limit):
    """Let a view receive a larger request body than ``REQUEST_BODY_MAX_BYTES`` (e.g. several files at once).

    ``limit`` is a number of bytes, or a callable returning it (read on each request, so it may depend on what
    is registered at start-up)."""

    def decorate(view):
        view.max_body_bytes = limit
        return view

    return decorate
