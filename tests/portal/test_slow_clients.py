"""Slow clients do not take the portal down (issue 11, 2.9): a real gunicorn, started with the project's
``gunicorn.conf.py`` on a loopback port, still answers ``/healthz`` while 16 clients hold connections by sending
their headers a byte at a time. No timing is asserted (the machine is shared): only that the answer comes, within a
generous timeout. ``bench/slow_clients.py`` measures the latency."""

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SLOW_CLIENTS = 16


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url, timeout):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status


@pytest.fixture
def gunicorn(tmp_path):
    """One gunicorn worker (its threads from gunicorn.conf.py), embedded settings, its own SQLite file."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG")}
    env.update(DJANGO_SETTINGS_MODULE="portal.settings.base", PORTAL_VAR_DIR=str(tmp_path / "var"))
    log = open(tmp_path / "gunicorn.log", "wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "portal.wsgi", "-w", "1", "-b", f"127.0.0.1:{port}"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/healthz"
    deadline = time.monotonic() + 60
    while True:
        try:
            get(url, timeout=5)
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                log.close()
                pytest.fail("gunicorn did not start:\n" + (tmp_path / "gunicorn.log").read_text(errors="replace"))
            time.sleep(0.3)
    yield port
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    log.close()


class SlowClients:
    """Clients that each open a connection and send their request's headers one byte every half second."""

    def __init__(self, port, count):
        self.sockets = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(count)]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.trickle, daemon=True)

    def trickle(self):
        request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"x" * 200
        for byte in request:
            for sock in self.sockets:
                try:
                    sock.send(bytes([byte]))
                except OSError:
                    pass
            if self.stop.wait(0.5):
                return

    def __enter__(self):
        self.thread.start()
        time.sleep(2)  # every slow client has sent a few bytes: each holds a connection mid-request
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        for sock in self.sockets:
            sock.close()


def test_healthz_answers_while_16_slow_clients_hold_connections(gunicorn):
    with SlowClients(gunicorn, SLOW_CLIENTS):
        # A sync worker would serve none of this until the slow clients finish (100 s of trickling).
        assert get(f"http://127.0.0.1:{gunicorn}/healthz", timeout=30) == 200
        assert get(f"http://127.0.0.1:{gunicorn}/", timeout=30) == 200
