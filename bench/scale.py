"""The scale benchmark (`bench/run.sh --scale`, issue 16): the same pages over 10 k and over 1 M files, side by side
in one run; p50/p95 of each, and the ratio p95(1 M) / p95(10 k), goal ≤ 1.2 (flat cost).

The two databases are loaded beforehand by `manage.py load_volume` (`--scale-small` / `--scale-large`: about
15 s and 20 min on this machine; load 10 k with `--certs 50 --busiest 0.75`: the country's number of centres, and
three quarters of the files at the first, whose agent is measured, so that each queue filter fills a page as at 1 M).
The bench migrates them (the queue's indexes), then for each: clears its own Redis database, opens sessions and
picks targets (bench/scale_targets.py, which also refreshes the statistics' snapshot and EXPLAINs the queue's and
the API list's queries), and serves it with its own gunicorn (-w 4 -k sync, production settings). With both servers
up, every scenario is measured with wrk for `--duration` seconds at `--scale-connections` connections,
`--scale-repeats` times on each volume, alternately (10 k, 1 M, then 1 M, 10 k…): on a shared machine whose speed
drifts, measuring one volume after the other put the drift into the ratio. A moderate load, so that the latency says
what the data costs rather than how long requests queue; the medians of p50 and p95 are reported.
"""

import copy
import datetime
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from bench import load
from bench.processes import BASE_DIR, bench_env, bench_json, collect_static, free_port, gunicorn, run

GOAL = 1.2
# The 10 k volume: the country's 50 CERTs (the statistics page lists as many as at 1 M), three quarters of the files
# routed to the first one, whose agent the bench measures (bench/scale_targets.py): its queue then fills a first page
# of 50 in every filter (each waiting status, one of its 28 procedures, « mine »), as at 1 M, where each CERT holds
# 20 000 files (and 14 procedures: 50 CERTs round 28 procedures).
# Spread evenly, the CERT held 200 files: a status showed 11-17 rows against 50, and the ratio measured the page's
# size (≈ 0.6 ms a row), not the volume (docs/scaling.md § 2).
SMALL_CERTS = 50
SMALL_BUSIEST = 0.75
OUT_DIR = BASE_DIR / "bench" / "out"


def add_arguments(parser):
    group = parser.add_argument_group("scale (issue 16)")
    group.add_argument("--scale", action="store_true", help="run the 10 k / 1 M scale benchmark only")
    group.add_argument("--no-scale", action="store_true",
                       help="leave the 10 k / 1 M table out of the default run (it loads both volumes when absent)")
    group.add_argument("--scale-small", default="scale_10k", help="database loaded with load_volume --files 10000")
    group.add_argument("--scale-large", default="scale_1m", help="database loaded with load_volume --files 1000000")
    group.add_argument("--scale-connections", type=int, default=4, help="wrk connections per scenario")
    group.add_argument("--scale-repeats", type=int, default=3,
                       help="runs of each scenario on each volume, alternately (medians reported)")


def log(message):
    print(f"[scale {time.strftime('%H:%M:%S')}] {message}", flush=True)


def clear_redis(url):
    import redis

    client = redis.Redis.from_url(url)
    client.flushdb()


def measure(args, generator, port, targets, var_dir, name, seconds):
    if generator == "python":
        return load.run("127.0.0.1", port, targets, connections=args.scale_connections, seconds=seconds)
    targets_file = var_dir / f"targets-{name}.txt"
    targets_file.write_text("".join(f"{path} {cookie}\n" for path, cookie in targets))
    output = subprocess.run(
        ["wrk", "-t1", f"-c{args.scale_connections}", f"-d{seconds}s", "--timeout", "10s",
         "-s", str(BASE_DIR / "bench" / "wrk.lua"), f"http://127.0.0.1:{port}", "--", str(targets_file)],
        capture_output=True, text=True, timeout=seconds + 60, check=True,
    ).stdout
    return bench_json(output)


def redis_for(url, offset):
    """The Redis URL `offset` databases after `url`'s: each volume's server gets its own cache and sessions."""
    base, _, number = url.rpartition("/")
    return f"{base}/{int(number or 0) + offset}"


def prepare(args, label, database, redis_url, var_dir):
    """Migrate `database`, clear its Redis database, pick its targets; return the server (not started) and setup."""
    port = free_port()
    scoped = copy.copy(args)
    scoped.database, scoped.redis = database, redis_url
    env = bench_env(scoped, var_dir, port)
    log(f"{label}: migrate {database}")
    run([sys.executable, "manage.py", "migrate", "--noinput"], env)
    collect_static(env, log)
    clear_redis(redis_url)
    log(f"{label}: sessions, targets, statistics snapshot, EXPLAIN")
    setup = bench_json(run([sys.executable, "-m", "bench.scale_targets"], env))
    return gunicorn(env, var_dir / label, port), port, setup


def summary(runs):
    """One scenario's runs on one volume: the medians of their p50 and p95, and every error."""
    return {"latency_ms": {"p50": statistics.median(r["latency_ms"]["p50"] for r in runs),
                           "p95": statistics.median(r["latency_ms"]["p95"] for r in runs)},
            "rps": statistics.median(r["rps"] for r in runs),
            "errors": {kind: sum(r["errors"][kind] for r in runs) for kind in runs[0]["errors"]},
            "p95_runs": [r["latency_ms"]["p95"] for r in runs]}


def measure_side_by_side(args, generator, var_dir, small, large):
    """Both servers up; each scenario measured `--scale-repeats` times on each volume, alternately (10 k then 1 M,
    then 1 M then 10 k…), so that a slow spell of the machine falls on both sides alike."""
    sides = {"small": small, "large": large}
    large_names = {scenario_key(name): name for name in large["setup"]["targets"]}
    for side in sides.values():
        side["runs"] = {}
    for name, small_targets in small["setup"]["targets"].items():
        large_name = large_names.get(scenario_key(name))
        if large_name is None:
            continue
        plan = [("small", name, small_targets), ("large", large_name, large["setup"]["targets"][large_name])]
        for label, scenario, targets in plan:  # warm-up: templates, caches, buffers
            measure(args, generator, sides[label]["port"], targets, var_dir, f"{label}-{scenario}", 1)
        for repeat in range(args.scale_repeats):
            for label, scenario, targets in (plan if repeat % 2 == 0 else plan[::-1]):
                result = measure(args, generator, sides[label]["port"], targets, var_dir, f"{label}-{scenario}",
                                 args.duration)
                sides[label]["runs"].setdefault(scenario, []).append(result)
                log(f"{label:5} {scenario:18} {result['rps']:7.1f} req/s  p50 {result['latency_ms']['p50']:7.1f} ms  "
                    f"p95 {result['latency_ms']['p95']:7.1f} ms  errors {sum(result['errors'].values())}")
    for side in sides.values():
        side["results"] = {scenario: summary(runs) for scenario, runs in side["runs"].items()}


def scenario_key(name):
    """Page-n scenarios are named after the page reached (a smaller queue has fewer pages): compare them."""
    for prefix in ("queue_page_", "api_page_"):
        if name.startswith(prefix):
            return prefix + "n"
    return name


def print_table(small, large):
    print()
    print(f"{'scenario':20} {'p50 ' + small['label']:>11} {'p95 ' + small['label']:>11} "
          f"{'p50 ' + large['label']:>11} {'p95 ' + large['label']:>11}   {'p95 ratio':>9}  goal ≤ {GOAL}")
    small_results = {scenario_key(k): (k, v) for k, v in small["results"].items()}
    ratios = {}
    for name, result in large["results"].items():
        key = scenario_key(name)
        if key not in small_results:
            continue
        small_name, small_result = small_results[key]
        p95_small, p95_large = small_result["latency_ms"]["p95"], result["latency_ms"]["p95"]
        ratio = p95_large / p95_small if p95_small else float("inf")
        ratios[key] = round(ratio, 2)
        label = name if small_name == name else f"{small_name}/{name.rpartition('_')[2]}"
        errors = sum(small_result["errors"].values()) + sum(result["errors"].values())
        print(f"{label:20} {small_result['latency_ms']['p50']:9.1f}ms {p95_small:9.1f}ms "
              f"{result['latency_ms']['p50']:9.1f}ms {p95_large:9.1f}ms   {ratio:9.2f}  "
              f"{'met' if ratio <= GOAL else 'NOT met'}{f' ({errors} errors)' if errors else ''}")
    print(f"\n{small['label']}: {small['files']} files, {large['label']}: {large['files']} files; "
          f"queue page {small['page_reached']} / {large['page_reached']} (50 files per page)")
    print(f"API list (the benchmark's garage): {small['api_files']} / {large['api_files']} files; "
          f"page {small['api_page_reached']} / {large['api_page_reached']} reached through `next`")
    print(f"\nEXPLAIN (ANALYZE, BUFFERS) of the queue's query (default filter, first page) at {large['label']}:")
    for line in large["explain"]:
        print("  " + line)
    for what, lines in (("first page, « Déposé »", large["explain_status"]["page"]),
                        ("capped count, « Déposé »", large["explain_status"]["count"])):
        print(f"\nEXPLAIN (ANALYZE, BUFFERS) of the queue's {what} at {large['label']}:")
        for line in lines:
            print("  " + line)
    for what, key in (("first page", "api_explain"), ("first page, ?status=in_review", "api_explain_status")):
        print(f"\nEXPLAIN (ANALYZE, BUFFERS) of the API list's query ({what}) at {large['label']}:")
        for line in large[key]:
            print("  " + line)
    return ratios


def label_for(files):
    return f"{files / 1_000_000:g}M" if files >= 1_000_000 else f"{files / 1000:g}k"


def ensure_volumes(args):
    """Load the two volumes when they are absent or loaded by another version of load_volume (1 M: ~20 min)."""
    from bench.volume_db import ensure_loaded

    ensure_loaded(args.scale_small, 10_000, certs=SMALL_CERTS, busiest=SMALL_BUSIEST, postgres=args.postgres)
    ensure_loaded(args.scale_large, 1_000_000, postgres=args.postgres)


def main(args, generator):
    ensure_volumes(args)
    var_dir = Path(tempfile.mkdtemp(prefix="portal-scale-"))
    started = time.monotonic()
    sides = {}
    try:
        for offset, (label, database) in enumerate((("small", args.scale_small), ("large", args.scale_large))):
            (var_dir / label).mkdir()
            server, port, setup = prepare(args, label, database, redis_for(args.redis, offset), var_dir)
            sides[label] = {"database": database, "server": server, "port": port, "setup": setup}
        with ExitStack() as servers:
            for side in sides.values():
                side["server"].start()
                servers.callback(side["server"].stop)
            measure_side_by_side(args, generator, var_dir, sides["small"], sides["large"])
    finally:
        if not args.keep:
            shutil.rmtree(var_dir, ignore_errors=True)
    small, large = ({"database": side["database"], "results": side["results"], "runs": side["runs"],
                     **{key: side["setup"][key] for key in ("files", "page_reached", "explain", "explain_status",
                                                            "api_files", "api_page_reached", "api_explain",
                                                            "api_explain_status")}}
                    for side in (sides["small"], sides["large"]))
    small["label"], large["label"] = label_for(small["files"]), label_for(large["files"])
    ratios = print_table(small, large)
    report = {"started_at": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
              "duration": args.duration, "repeats": args.scale_repeats, "connections": args.scale_connections,
              "load_generator": generator,
              "small": small, "large": large, "p95_ratios": ratios, "goal": GOAL,
              "total_seconds": round(time.monotonic() - started, 1)}
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    out = OUT_DIR / f"scale-{datetime.datetime.now().strftime('%Y-%m-%dT%H-%M-%S')}.json"
    out.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"written: {out.relative_to(BASE_DIR)}")
    return 0 if all(ratio <= GOAL for ratio in ratios.values()) else 1
