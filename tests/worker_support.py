"""A real Celery worker for the tests that need one (issue 3): `celery -A portal worker` in a subprocess, on the
test database pytest-django created, consuming from Redis under a key prefix of its own.

This module is used from both sides:

- the tests import `CeleryWorker` and `publishing_to` to start and stop the worker and to make the test process
  publish to the same broker instead of running tasks eagerly;
- the worker imports it at start-up (`--include tests.worker_support`, with PORTAL_TEST_WORKER=1 in its
  environment): it then registers the procedure the tests use (the registry is per process) and applies the
  broker key prefix.

Isolation under pytest-xdist: every key the worker and the test process use in Redis (queues, unacked messages,
bindings) starts with a prefix made of the xdist worker id and a random token, so two pytest workers, or two
runs on one Redis, never take each other's tasks. The prefix's keys are deleted when the worker is torn down.
"""

import os
import secrets
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
WORKER_FLAG = "PORTAL_TEST_WORKER"
PREFIX_VARIABLE = "PORTAL_TEST_BROKER_PREFIX"
QUEUES = ("default", "pdf", "email")


def broker_prefix(xdist_worker):
    return f"portal-test-{xdist_worker}-{secrets.token_hex(4)}:"


def database_url_for(name, base_url):
    """Return `base_url` (postgres://…/portal) pointing at database `name` (the test database)."""
    parts = urlsplit(base_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def with_prefix(options, prefix):
    return {**(options or {}), "global_keyprefix": prefix}


class CeleryWorker:
    """One `celery -A portal worker --pool=solo` subprocess, restartable; its log is kept for failure messages."""

    def __init__(self, *, database_url, redis_url, prefix, var_dir, mail_dir, node):
        self.prefix = prefix
        self.redis_url = redis_url
        self.var_dir = Path(var_dir)
        self.mail_dir = Path(mail_dir)
        self.media_root = self.var_dir / "media"
        self.node = node
        self.process = None
        self.starts = 0
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "portal.settings.test",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "CELERY_BROKER_URL": redis_url,
            "PORTAL_VAR_DIR": str(self.var_dir),  # MEDIA_ROOT = PORTAL_VAR_DIR/media in the test settings
            "TEST_EMAIL_FILE_PATH": str(self.mail_dir),
            WORKER_FLAG: "1",
            PREFIX_VARIABLE: prefix,
            "CELERY_SKIP_CHECKS": "1",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(BASE_DIR), os.environ.get("PYTHONPATH")])),
        }
        self.env.pop("PYTEST_XDIST_WORKER", None)

    @property
    def log_path(self):
        return self.var_dir / f"worker-{self.starts}.log"

    def start(self, timeout=30):
        """Start the worker and wait until it says it is ready to consume."""
        if self.running:
            return
        self.starts += 1
        self.mail_dir.mkdir(parents=True, exist_ok=True)
        self.media_root.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool=solo", "-Q", ",".join(QUEUES),
                 "-l", "info", "-n", f"{self.node}-{self.starts}@%h", "--without-mingle", "--without-gossip",
                 "--without-heartbeat", "--include", "tests.worker_support"],
                cwd=BASE_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"The Celery worker exited with {self.process.returncode}:\n{self.log_tail()}")
            if b" ready." in self.log_path.read_bytes():
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"The Celery worker was not ready within {timeout} s:\n{self.log_tail()}")

    def stop(self, timeout=20):
        """Warm shutdown (SIGTERM: finish the current task, give back the prefetched ones), SIGKILL if stuck."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        self.process = None

    @property
    def running(self):
        return self.process is not None and self.process.poll() is None

    def log_tail(self, size=4000):
        try:
            return self.log_path.read_bytes()[-size:].decode(errors="replace")
        except FileNotFoundError:
            return "(no log)"

    def redis(self):
        import redis

        return redis.Redis.from_url(self.redis_url)

    def queued(self):
        """Messages waiting in the worker's queues or delivered and not yet acknowledged."""
        client = self.redis()
        waiting = sum(client.llen(f"{self.prefix}{queue}") for queue in QUEUES)
        return waiting + client.hlen(f"{self.prefix}unacked")

    def forget(self):
        """Delete every key of this worker's prefix from Redis."""
        client = self.redis()
        keys = list(client.scan_iter(match=f"{self.prefix}*", count=500))
        if keys:
            client.delete(*keys)


def _reset_pools(app):
    """Close the broker connections and producers made so far: the next publish connects with the new settings."""
    from kombu import pools

    pools.reset()
    app._pool = None
    if "amqp" in app.__dict__:
        app.amqp._producer_pool = None


@contextmanager
def publishing_to(broker_url, prefix):
    """Make the test process's Celery app publish to `broker_url` (not eagerly) for the duration."""
    from portal.celery import app

    names = ("broker_url", "task_always_eager", "broker_transport_options")
    saved = {name: app.conf[name] for name in names}
    app.conf.update(broker_url=broker_url, task_always_eager=False,
                    broker_transport_options=with_prefix(saved["broker_transport_options"], prefix))
    _reset_pools(app)
    try:
        yield app
    finally:
        _reset_pools(app)
        app.conf.update(saved)


def _configure_worker_process():
    """In the worker: keep the test session's clock (`--today`), register the tests' procedure and use the test
    run's key prefix."""
    from portal.celery import app
    from tests import today
    from tests.titles.conftest import ExampleProcedure
    from titles.registry import registry

    today.follow()
    registry.register(ExampleProcedure)
    app.conf.broker_transport_options = with_prefix(app.conf.broker_transport_options, os.environ[PREFIX_VARIABLE])


if os.environ.get(WORKER_FLAG) == "1":
    _configure_worker_process()
