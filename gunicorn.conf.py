"""Gunicorn's settings for the portal, read from the working directory (``gunicorn portal.wsgi``): what the command
line gives (workers, bind) is added to these.

Slow clients: a sync worker serves one connection at a time, from its first byte to its last, so a handful of
clients that send their request (or read the answer) slowly hold every worker, and ``/healthz`` waited 6 to 7 s
behind 16 of them. Two layers answer that:

* in front, a proxy that buffers (nginx, ``deploy/nginx.conf``, which ``docker-compose.yml`` runs): it receives
  each request whole before passing it on, and takes the answer at once, so gunicorn only ever talks to it;
* here, ``gthread`` workers: a connection that has sent nothing waits in the worker's poller, not in a thread, and
  each worker serves ``threads`` connections at once, so slow clients that reach gunicorn directly (without the
  proxy) take a thread each, not a whole worker. Each thread keeps its own database connection (``CONN_MAX_AGE``):
  keep workers × threads under PostgreSQL's ``max_connections``.
"""

import gc
import os

worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "32"))
# Hung clients are dropped: an idle kept-alive connection after 5 s, a worker silent for 30 s is restarted.
keepalive = 5
timeout = 30
# Request line and headers: what a browser sends, with room for long query strings; beyond is a 400 from gunicorn.
# (Bodies are capped by the portal itself, from Content-Length, before they are read: RequestGuardMiddleware.)
limit_request_line = 8190
limit_request_fields = 60
limit_request_field_size = 8190


def post_worker_init(worker):
    """Freeze what loading the application left on the heap, so full collections scan only what requests create
    (the objects of Django's start-up live as long as the worker anyway)."""
    gc.collect()
    gc.freeze()
