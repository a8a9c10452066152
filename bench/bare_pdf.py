"""The bare WeasyPrint loop of the benchmark: render pending documents with `titles.pdf.render_pdf`, each with the
very template and context `titles.tasks.render_document` would give it, one after the other in this one process.

The contexts are captured from the task itself (its `render_pdf` call is intercepted before anything is written), so
the loop renders exactly what the worker will render afterwards. Each document is rendered once: rendering one
context again and again is about 20 % faster here (WeasyPrint and the template engine reuse what they parsed), which
the worker, whose documents all differ, never gets. A first render, which loads WeasyPrint and the fonts, is a
warm-up and is not counted, as the worker's first task is not; after it the heap is frozen (``gc.freeze()``), as a
worker process freezes its own after loading the renderer (``portal/celery.py``), so that both sides collect garbage
alike. Prints one line "BENCH_JSON {...}".
"""

import argparse
import gc
import json
import pickle
import statistics
import time
from pathlib import Path

import django


class _Captured(Exception):
    """Raised by the intercepted ``render_pdf`` to stop the task before it renders or stores anything."""


def captured_context(document_id):
    """Return (template name, context) of the render the task would make for a pending document."""
    from titles import tasks

    captured = {}

    def intercept(template_name, context):
        captured.update(template_name=template_name, context=context)
        raise _Captured

    original, tasks.render_pdf = tasks.render_pdf, intercept
    try:
        tasks.render_document.run(document_id)
    except _Captured:
        pass  # the expected way out: the context is captured, nothing was written
    finally:
        tasks.render_pdf = original
    if not captured:
        raise SystemExit(f"Document {document_id} is not pending: nothing to capture.")
    return captured["template_name"], captured["context"]


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))]


def summary(durations, cpu):
    """Rates and latencies of renders that took ``durations`` seconds and ``cpu`` CPU-seconds in all."""
    return {
        "renders": len(durations),
        "seconds": round(sum(durations), 3),
        "per_second": round(len(durations) / sum(durations), 3),
        "cpu_seconds": round(cpu, 3),
        "per_cpu_second": round(len(durations) / cpu, 3),
        "median_ms": round(statistics.median(durations) * 1000, 1),
        "p95_ms": round(percentile(durations, 0.95) * 1000, 1),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("documents", type=int, nargs="*", help="ids of pending GeneratedDocument rows")
    parser.add_argument("--capture", metavar="FILE",
                        help="only capture the documents' contexts into FILE, to render them later with --contexts")
    parser.add_argument("--contexts", metavar="FILE", help="render the contexts captured into FILE")
    args = parser.parse_args()
    django.setup()
    import bench.procedure  # noqa: F401
    from titles.pdf import _fast_font_subsetting, render_pdf

    if args.contexts:
        renders = pickle.loads(Path(args.contexts).read_bytes())
    else:
        renders = [captured_context(document_id) for document_id in args.documents]
    if args.capture:
        Path(args.capture).write_bytes(pickle.dumps(renders))
        print("BENCH_JSON " + json.dumps({"captured": len(renders)}), flush=True)
        return
    started = time.perf_counter()
    render_pdf(*renders[0])
    warm_up = time.perf_counter() - started
    gc.collect()
    gc.freeze()
    durations, cpu = [], 0.0
    for template_name, context in renders[1:]:  # the first was the warm-up: each document is rendered once
        started, cpu_started = time.perf_counter(), time.process_time()
        content = render_pdf(template_name, context)
        durations.append(time.perf_counter() - started)
        cpu += time.process_time() - cpu_started
    print("BENCH_JSON " + json.dumps({
        "templates": sorted({template_name for template_name, _ in renders}),
        **summary(durations, cpu),
        "durations_ms": [round(duration * 1000, 2) for duration in durations],
        "warm_up_ms": round(warm_up * 1000, 1),
        "pdf_bytes": len(content),
        "harfbuzz_subset": _fast_font_subsetting(),
    }), flush=True)


if __name__ == "__main__":
    main()
