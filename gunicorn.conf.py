"""Gunicorn's settings for the portal, read from the working directory (``gunicorn portal.wsgi``): what the command
line gives (workers, bind) is added to these."""

import gc


def post_worker_init(worker):
    """Freeze what loading the application left on the heap, so full collections scan only what requests create
    (the objects of Django's start-up live as long as the worker anyway)."""
    gc.collect()
    gc.freeze()
