"""The load generator used when wrk is not installed: threads with keep-alive connections on loopback, for a fixed
duration. It reports the same figures as bench/wrk.lua. Python's GIL makes it a weaker client than wrk: compare
ratios from one run only, never its absolute numbers with wrk's."""

import http.client
import itertools
import statistics
import threading
import time


def auth_headers(credential):
    """A target's credential: a session cookie, `<session>,<CSRF secret>` (a browser's two cookies), or
    `bearer:<API key>` (as bench/wrk.lua reads it)."""
    if credential.startswith("bearer:"):
        return {"Authorization": f"Bearer {credential.removeprefix('bearer:')}"}
    session, _, csrf = credential.partition(",")
    cookie = f"sessionid={session}" + (f"; csrftoken={csrf}" if csrf else "")
    return {"Cookie": cookie} if credential else {}


def run(host, port, targets, *, connections, seconds, timeout=5.0):
    """`targets` is a list of (path, session cookie or "") taken in turn; return the wrk.lua summary dict."""
    counter = itertools.count()
    latencies, errors, sizes = [], {"connect": 0, "read": 0, "write": 0, "status": 0, "timeout": 0}, [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client():
        connection = http.client.HTTPConnection(host, port, timeout=timeout)
        mine, my_bytes = [], 0
        while time.monotonic() < deadline:
            path, cookie = targets[next(counter) % len(targets)]
            headers = auth_headers(cookie)
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                body = response.read()
            except TimeoutError:
                kind = "timeout"
            except (ConnectionError, http.client.HTTPException, OSError):
                kind = "read"
            else:
                mine.append(time.perf_counter() - started)
                my_bytes += len(body)
                if response.status >= 400:
                    with lock:
                        errors["status"] += 1
                continue
            with lock:
                errors[kind] += 1
            connection.close()
            connection = http.client.HTTPConnection(host, port, timeout=timeout)
        connection.close()
        with lock:
            latencies.extend(mine)
            sizes[0] += my_bytes

    threads = [threading.Thread(target=client) for _ in range(connections)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    ordered = sorted(latencies) or [0.0]

    def pct(fraction):
        return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000, 2)

    return {
        "requests": len(latencies),
        "seconds": round(elapsed, 3),
        "rps": round(len(latencies) / elapsed, 1),
        "bytes": sizes[0],
        "latency_ms": {"mean": round(statistics.fmean(ordered) * 1000, 2), "p50": pct(0.5), "p90": pct(0.9),
                       "p95": pct(0.95), "p99": pct(0.99), "max": round(ordered[-1] * 1000, 2)},
        "errors": errors,
    }
