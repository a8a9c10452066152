"""What the bench reports: the goals, medians, the versions and git state recorded in the JSON, and the table."""

import statistics
import subprocess
from importlib import metadata

from bench.processes import BASE_DIR

GOALS = {"web_ratio": 0.6, "web_ratio_signed_in": 0.6, "pdf_ratio": 0.9, "api_ratio": 0.6}


def median_of(runs, *path):
    values = []
    for item in runs:
        for key in path:
            item = item[key]
        values.append(item)
    return statistics.median(values)


def versions():
    names = ("django", "gunicorn", "celery", "kombu", "redis", "psycopg2-binary", "weasyprint", "pydyf")
    found = {}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue  # not installed here (e.g. an optional one): the JSON lists what is
    return found


def git_state():
    def git(*command):
        result = subprocess.run(["git", *command], cwd=BASE_DIR, capture_output=True, text=True)
        return result.stdout.strip() if result.returncode == 0 else ""

    return {"sha": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain"))}


def print_table(report):
    web, pdf = report["web"], report["pdf"]

    def met(ok):
        return "met" if ok else "NOT met"

    rows = [
        ("(a) bare view /bench/hello", f"{web['hello']['rps']:.1f} req/s", f"{web['hello']['p95_ms']:.1f} ms", "", ""),
        ("    home page, anonymous (info)", f"{web['home']['rps']:.1f} req/s", f"{web['home']['p95_ms']:.1f} ms",
         f"/a = {web['home']['rps'] / web['hello']['rps']:.2f}", ""),
        ("    bare view, signed in (info)", f"{web['signed_in']['rps']:.1f} req/s",
         f"{web['signed_in']['p95_ms']:.1f} ms", f"/a = {web['signed_in']['rps'] / web['hello']['rps']:.2f}", ""),
        ("(b) tracking page, logged in", f"{web['tracking']['rps']:.1f} req/s", f"{web['tracking']['p95_ms']:.1f} ms",
         f"b/a = {web['ratio']:.2f}", f"goal ≥ {GOALS['web_ratio']}: {met(web['goal_met'])}"),
        ("    same, against signed-in floor", "", "", f"b/s = {web['ratio_signed_in']:.2f}",
         f"goal ≥ {GOALS['web_ratio_signed_in']}: {met(web['signed_in_goal_met'])}"),
        ("(c) receipts, Celery worker ×1", f"{pdf['pipeline_per_second']:.2f} PDF/s", "", "",
         f"task run time {pdf['task_median_ms']} ms (median)"),
        ("    bare render_pdf loop ×1", f"{pdf['bare_per_second']:.2f} PDF/s", f"{pdf['bare_p95_ms']:.1f} ms",
         f"c = {pdf['ratio']:.2f}", f"goal ≥ {GOALS['pdf_ratio']}: {met(pdf['goal_met'])}"),
        ("    same, per CPU-second (info)", f"{pdf['pipeline_per_cpu_second']:.2f} / {pdf['bare_per_cpu_second']:.2f}",
         "", f"c = {pdf['cpu_ratio']:.2f}", "worker processes' CPU time against the loop's"),
    ]
    if "api" in report:
        rows += api_rows(report["api"])
    print()
    print(f"{'scenario':32} {'throughput':>13} {'p95':>11}   {'ratio':10} goal")
    for name, throughput, p95, ratio, goal in rows:
        print(f"{name:32} {throughput:>13} {p95:>11}   {ratio:10} {goal}")
    if web["errors"]:
        print(f"web errors (timeouts, 5xx…): {web['errors']}")
    if not all(run["bare"].get("harfbuzz_subset") for run in pdf["runs"]):
        print("\nWARNING: libharfbuzz-subset0 is missing, so WeasyPrint embeds whole fonts: renders take about twice "
              "as long as in production (Dockerfile, .ci/run), which makes the PDF ratio look better than it is.")
    once = report["exactly_once"]
    print(f"\nexactly once: {once['submissions']} bench submissions, {once['documents_ready']} PDFs ready, "
          f"{once['mail_messages']} e-mails; {once['all_mail_messages']} messages in the run with "
          f"{once['distinct_message_ids']} distinct Message-IDs ({once['outbox_pending']} demo outbox rows pending): "
          f"{'OK' if once['ok'] else 'NOT OK'}")
    print(f"medians of {report['parameters']['repeats']} runs; {report['machine']['nproc']} CPUs, load average "
          f"{report['machine']['loadavg_before'][0]:.1f} before, {report['machine']['loadavg_after'][0]:.1f} after; "
          f"load generator {report['load_generator']}; total {report['total_seconds']:.0f} s")


def api_rows(api):
    return [
        ("(d) bare DRF view, API key", f"{api['api_bare']['rps']:.1f} req/s", f"{api['api_bare']['p95_ms']:.1f} ms",
         "", ""),
        ("(e) API file detail", f"{api['api_file']['rps']:.1f} req/s", f"{api['api_file']['p95_ms']:.1f} ms",
         f"e/d = {api['ratio']:.2f}", f"goal ≥ {GOALS['api_ratio']}: {'met' if api['goal_met'] else 'NOT met'}"),
    ]
