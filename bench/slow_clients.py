"""How long /healthz takes while slow clients hold connections (issue 11, 2.9).

    python bench/slow_clients.py http://127.0.0.1:8000 --clients 16
    python bench/slow_clients.py https://127.0.0.1:8443 --clients 16      # through the proxy of docker-compose.yml

Measures /healthz alone, then again while ``--clients`` connections each send a request's headers one byte every
half second (a slowloris), and prints the median and the worst of ``--probes`` requests in each case. Start the
server yourself (``gunicorn portal.wsgi -w 4 -b 127.0.0.1:8000``, or ``-k sync`` to see what the gthread workers of
gunicorn.conf.py change). ``tests/portal/test_slow_clients.py`` checks, without timing, that /healthz answers.
"""

import argparse
import socket
import ssl
import statistics
import threading
import time
import urllib.request
from urllib.parse import urlsplit

UNVERIFIED = ssl._create_unverified_context()  # the compose proxy's certificate is self-signed


def probe(url, timeout):
    start = time.perf_counter()
    with urllib.request.urlopen(url + "/healthz", timeout=timeout, context=UNVERIFIED) as response:
        response.read()
    return time.perf_counter() - start


def open_slow(url):
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    sock = socket.create_connection((parts.hostname, port), timeout=10)
    if parts.scheme == "https":
        sock = UNVERIFIED.wrap_socket(sock, server_hostname=parts.hostname)
    return sock


def trickle(sockets, host, stop):
    request = f"GET /healthz HTTP/1.1\r\nHost: {host}\r\nX-Slow: ".encode() + b"x" * 1000
    for byte in request:
        for sock in sockets:
            try:
                sock.send(bytes([byte]))
            except OSError:
                pass
        if stop.wait(0.5):
            return


def measure(url, probes, timeout):
    durations = []
    for _ in range(probes):
        try:
            durations.append(probe(url, timeout))
        except OSError:
            durations.append(float("inf"))
        time.sleep(0.2)
    return statistics.median(durations), max(durations)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url", help="the server's root, e.g. http://127.0.0.1:8000")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--probes", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=30)
    args = parser.parse_args()
    url = args.url.rstrip("/")
    alone = measure(url, args.probes, args.timeout)
    sockets = [open_slow(url) for _ in range(args.clients)]
    stop = threading.Event()
    thread = threading.Thread(target=trickle, args=(sockets, urlsplit(url).netloc, stop), daemon=True)
    thread.start()
    time.sleep(2)
    try:
        loaded = measure(url, args.probes, args.timeout)
    finally:
        stop.set()
        thread.join()
        for sock in sockets:
            sock.close()
    print(f"/healthz alone: median {alone[0] * 1000:.0f} ms, worst {alone[1] * 1000:.0f} ms")
    print(f"/healthz with {args.clients} slow clients: median {loaded[0] * 1000:.0f} ms, "
          f"worst {loaded[1] * 1000:.0f} ms")


if __name__ == "__main__":
    main()
