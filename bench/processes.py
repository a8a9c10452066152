"""The bench's processes: the environment they run in (this machine only), one-shot commands, and the long-running
services (gunicorn, Celery workers) it starts and stops, with an HTTP probe."""

import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# Variables of the portal's settings that would send the bench somewhere else than this machine.
FOREIGN_VARIABLES = ("EMAIL_URL", "AWS_STORAGE_BUCKET_NAME", "CELERY_BROKER_URL", "CONN_MAX_AGE", "PYTEST_ARGS")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def bench_env(args, var_dir, port):
    env = {key: value for key, value in os.environ.items() if key not in FOREIGN_VARIABLES}
    env.update({
        "DJANGO_SETTINGS_MODULE": "portal.settings.base",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "DATABASE_URL": f"{args.postgres.rstrip('/')}/{args.database}",
        "REDIS_URL": args.redis,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "PORTAL_VAR_DIR": str(var_dir),
        "ROOT_URLCONF": "bench.urls",
        # The API's throttles run (their cache reads and writes are measured) but never refuse the load.
        "API_THROTTLE_BURST": "100000000/minute",
        "API_THROTTLE_SUSTAINED": "100000000/hour",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(BASE_DIR), os.environ.get("PYTHONPATH")])),
    })
    return env


def run(command, env, **kwargs):
    result = subprocess.run(command, cwd=BASE_DIR, env=env, capture_output=True, text=True, **kwargs)
    if result.returncode:
        raise SystemExit(f"Failed: {' '.join(map(str, command))}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result.stdout


def bench_json(output):
    for line in output.splitlines():
        if line.startswith("BENCH_JSON "):
            return json.loads(line[len("BENCH_JSON "):])
    raise SystemExit(f"No result in:\n{output[-3000:]}")


def collect_static(env, log):
    """Collect the static files when they changed since the last time (DEBUG off needs the manifest)."""
    manifest = BASE_DIR / "staticfiles" / "staticfiles.json"
    lock = BASE_DIR / "requirements.lock"
    newest = max(path.stat().st_mtime for path in [lock, *(BASE_DIR / "static").rglob("*")])
    if not manifest.exists() or manifest.stat().st_mtime < newest:
        log("collectstatic (DEBUG off needs the manifest; about a minute, only when static files changed)")
        run([sys.executable, "manage.py", "collectstatic", "--noinput"], env)


class Service:
    """A long-running subprocess in its own process group, stopped with SIGTERM (then SIGKILL)."""

    def __init__(self, name, command, env, log_path, ready):
        self.name, self.command, self.env, self.log_path, self.ready = name, command, env, log_path, ready
        self.process = None

    def start(self, timeout=60):
        self.log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with open(self.log_path, "ab") as log_file:
            self.process = subprocess.Popen(self.command, cwd=BASE_DIR, env=self.env, stdout=log_file,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"{self.name} exited with {self.process.returncode}:\n{self.tail()}")
            if self.ready(self):
                return self
            time.sleep(0.1)
        raise SystemExit(f"{self.name} not ready within {timeout} s:\n{self.tail()}")

    def stop(self, timeout=30):
        if self.process is None or self.process.poll() is not None:
            self.process = None
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self.process = None

    def tail(self, size=3000):
        return self.log_path.read_bytes()[-size:].decode(errors="replace")

    def log_since_start(self):
        with open(self.log_path, "rb") as log_file:
            log_file.seek(self.log_offset)
            return log_file.read()


def celery_worker(env, var_dir, queues, concurrency=1):
    def ready(service):
        return b" ready." in service.log_since_start()

    command = [str(BIN / "celery"), "-A", "portal", "worker", "--pool=prefork", f"--concurrency={concurrency}",
               "-Q", ",".join(queues), "-l", "info", "-n", f"bench-{os.getpid()}@%h",
               "--without-mingle", "--without-gossip", "--without-heartbeat", "--include", "bench.procedure"]
    return Service("celery worker", command, env, var_dir / "worker.log", ready)


def gunicorn(env, var_dir, port):
    def ready(service):
        return http_get(port, "/healthz")[0] == 200

    # "--threads 1": gunicorn.conf.py sets threads for its gthread workers, and gunicorn turns a sync worker with
    # threads into a gthread one; the bench keeps measuring sync workers, comparable with its earlier runs.
    command = [str(BIN / "gunicorn"), "portal.wsgi:application", "-w", "4", "-k", "sync", "--threads", "1",
               "-b", f"127.0.0.1:{port}", "--chdir", str(BASE_DIR), "--log-level", "warning",
               "--graceful-timeout", "10"]
    return Service("gunicorn", command, env, var_dir / "gunicorn.log", ready)


def http_get(port, path, cookie=""):
    from bench import load

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path, headers=load.auth_headers(cookie))
        response = connection.getresponse()
        return response.status, response.read()
    except OSError:
        return None, b""
    finally:
        connection.close()
