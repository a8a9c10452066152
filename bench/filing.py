"""Filing under load (`bench/run.sh --filing`, issue 16): 8, then 32 citizens file at the same time, with a real
Celery worker (prefork, `--filing-workers` processes, queues default/pdf/email) making the récépissé and the e-mail.

Each citizen prepares a complete draft (step, document, timbre fiscal) untimed, then all submit together
(`titles.services.apply_transition(submit)`, what the récapitulatif's button calls, in its own transaction and
database connection: the request minus HTTP and the session), `--filing-rounds` times. Reported: submission p50/p95,
and submission → PDF ready and e-mail sent (the later of the two) p50/p95; then that nothing was lost and nothing
done twice (one ready récépissé and one e-mail sent at its first attempt per file, no Message-ID twice).
"""

import datetime
import io
import re
import statistics
import threading
import time

from bench.processes import celery_worker

GOALS = {"submission_p95_ms": 300, "delivered_p95_s": 2.0}


def add_arguments(parser):
    group = parser.add_argument_group("filing under load (issue 16)")
    group.add_argument("--filing", action="store_true", help="run only the concurrent filing benchmark")
    group.add_argument("--filing-levels", default="8,32", help="concurrent citizens, comma-separated")
    group.add_argument("--filing-rounds", type=int, default=3, help="submissions per citizen at each level")
    group.add_argument("--filing-workers", type=int, default=2, help="Celery worker processes")


def jpeg_upload():
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (600, 400), "white").save(buffer, "JPEG")
    return SimpleUploadedFile("piece.jpg", buffer.getvalue(), content_type="image/jpeg")


def prepare_draft(user):
    """Return a complete draft of the bench's procedure for `user` (step, document, timbre fiscal), ready to submit."""
    from bench.procedure import BenchProcedure
    from titles import services
    from titles.payments import EmbeddedIssuer
    from titles.registry import registry
    from titles.uploads import clean_upload

    procedure = registry.get(BenchProcedure.code)
    issuer = EmbeddedIssuer()
    application = services.create_draft(procedure, applicant=user, filed_by=user)
    services.save_step(application, "details", {"motive": "loss", "event_date": "2026-11-01"})
    services.add_document(application, kind="identity", clean_file=clean_upload(jpeg_upload()), uploaded_by=user)
    number = issuer.buy(amount_cents=procedure.fee_cents, buyer=user)
    services.record_payment(application, timbre_number=number, amount_cents=procedure.fee_cents,
                            issuer=issuer.name, actor=user)
    return application


def citizens(count):
    from accounts.models import User

    users = []
    for index in range(count):
        email = f"filing-{index}@bench.test"
        user = User.objects.filter(email=email).first() or User.objects.create_user(
            email, given_names="Dominique", family_name=f"Dépôt {index}", postal_code="33000", city="Bordeaux")
        users.append(user)
    return users


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))] if ordered else None


def file_together(users, rounds):
    """Each user files `rounds` times, all users at once each round; return [(application id, seconds, at)]."""
    from django.db import connection

    from titles import services

    timings, errors, lock = [], [], threading.Lock()
    for _ in range(rounds):
        drafts = [prepare_draft(user) for user in users]
        barrier = threading.Barrier(len(users))

        def submit(application, user, barrier=barrier):
            try:
                barrier.wait(timeout=60)
                started = time.perf_counter()
                services.apply_transition(application, "submit", actor=user)
                elapsed = time.perf_counter() - started
                with lock:
                    timings.append((application.pk, elapsed, datetime.datetime.now(datetime.UTC)))
            except Exception as error:  # noqa: BLE001 (a lost submission is what the bench reports)
                with lock:
                    errors.append(repr(error))
            finally:
                connection.close()

        threads = [threading.Thread(target=submit, args=pair) for pair in zip(drafts, users, strict=True)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return timings, errors


def delivered(timings, timeout=300):
    """Wait until every filed application has its récépissé ready and its e-mail sent; return the seconds from
    submission to the later of the two for each, and what is still missing at the timeout."""
    from notifications.enums import EmailStatus
    from notifications.models import OutgoingEmail
    from titles.enums import DocumentStatus
    from titles.models import Application, GeneratedDocument

    ids = [pk for pk, _, _ in timings]
    references = dict(Application.objects.filter(pk__in=ids).values_list("pk", "reference"))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pending = (GeneratedDocument.objects.filter(application__in=ids).exclude(status=DocumentStatus.READY).count()
                   + OutgoingEmail.objects.filter(reference__in=references.values())
                   .exclude(status=EmailStatus.SENT).count())
        if not pending:
            break
        time.sleep(0.2)
    rendered = dict(GeneratedDocument.objects.filter(application__in=ids).values_list("application_id", "rendered_at"))
    sent = {}
    for reference, sent_at in OutgoingEmail.objects.filter(reference__in=references.values()).values_list(
            "reference", "sent_at"):
        sent[reference] = max(filter(None, [sent.get(reference), sent_at]), default=None)
    latencies, missing = [], 0
    for pk, _, submitted in timings:
        ends = [rendered.get(pk), sent.get(references[pk])]
        if None in ends:
            missing += 1
            continue
        latencies.append((max(ends) - submitted).total_seconds())
    return latencies, missing


def exactly_once(timings, var_dir):
    from notifications.enums import EmailStatus
    from notifications.models import OutgoingEmail
    from titles.enums import DocumentStatus
    from titles.models import Application, GeneratedDocument

    ids = [pk for pk, _, _ in timings]
    references = list(Application.objects.filter(pk__in=ids).values_list("reference", flat=True))
    message_ids = []
    for path in (var_dir / "mail").glob("*"):
        # A long Message-ID is folded onto the next line by the email package (RFC 5322 allows it).
        message_ids += re.findall(rb"^Message-ID:\s+<(.+?)@", path.read_bytes(), re.MULTILINE)
    result = {
        "submitted": len(ids),
        "documents_ready": GeneratedDocument.objects.filter(application__in=ids, status=DocumentStatus.READY).count(),
        "documents": GeneratedDocument.objects.filter(application__in=ids).count(),
        "emails": OutgoingEmail.objects.filter(reference__in=references).count(),
        "emails_sent_once": OutgoingEmail.objects.filter(reference__in=references, status=EmailStatus.SENT,
                                                         attempts=1).count(),
        "mail_messages": len(message_ids),
        "distinct_message_ids": len(set(message_ids)),
    }
    result["ok"] = (result["documents"] == result["documents_ready"] == len(ids)
                    and result["emails"] == result["emails_sent_once"] >= len(ids)
                    and result["mail_messages"] == result["distinct_message_ids"])
    return result


def measure(args, env, var_dir, log):
    levels = [int(level) for level in args.filing_levels.split(",")]
    worker = celery_worker(env, var_dir, ["default", "pdf", "email"], concurrency=args.filing_workers)
    worker.start()
    report = {}
    try:
        # Warm-up, not reported: the worker's processes load WeasyPrint and the templates on their first tasks.
        warm_up, _ = file_together(citizens(args.filing_workers), 1)
        delivered(warm_up)
        for level in levels:
            users = citizens(level)
            timings, errors = file_together(users, args.filing_rounds)
            latencies, missing = delivered(timings)
            seconds = [elapsed for _, elapsed, _ in timings]
            report[level] = {
                "submissions": len(timings),
                "errors": errors,
                "submission_ms": {"p50": round(statistics.median(seconds) * 1000, 1),
                                  "p95": round(percentile(seconds, 0.95) * 1000, 1)},
                "delivered_s": {"p50": round(statistics.median(latencies), 2) if latencies else None,
                                "p95": round(percentile(latencies, 0.95), 2) if latencies else None},
                "missing": missing,
                "exactly_once": exactly_once(timings, var_dir),
            }
            log(f"filing ×{level}: {report[level]}")
    finally:
        worker.stop()
    return report


def ok(row):
    return row["exactly_once"]["ok"] and not row["errors"] and not row["missing"]


def print_table(report, workers):
    print()
    print(f"{'concurrent citizens':20} {'filed':>6} {'submit p50':>11} {'submit p95':>11} {'→PDF+mail p50':>14} "
          f"{'→PDF+mail p95':>14}  exactly once")
    for level, row in report.items():
        print(f"{level:<20} {row['submissions']:>6} {row['submission_ms']['p50']:>9.1f}ms "
              f"{row['submission_ms']['p95']:>9.1f}ms {row['delivered_s']['p50']:>13}s "
              f"{row['delivered_s']['p95']:>13}s  {'OK' if ok(row) else 'NOT OK'}")
    print(f"goals: submission p95 ≤ {GOALS['submission_p95_ms']} ms; submission → PDF and e-mail p95 ≤ "
          f"{GOALS['delivered_p95_s']} s at 8 concurrent; Celery worker prefork ×{workers}")
