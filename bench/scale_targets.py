"""The targets of the scale benchmark in one database loaded by `manage.py load_volume` (run by bench/scale.py as a
subprocess, with that database's environment): sessions for citizens and for a CERT agent (second factor passed),
the paths of every scenario, the statistics' snapshot computed, and the EXPLAIN (ANALYZE) of the queue's query.
Prints one line "BENCH_JSON {...}"."""

import json
import sys
from importlib import import_module

import django

SAMPLE = 40
PAGE = 50
# The API list: its page 10 (50 files a page), through the `next` links, and the EXPLAIN of its first page.
API_PAGE = 10
API_PAGE_SIZE = 50


def sessions(user, count, device=None):
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = []
    for _ in range(count):
        session = store()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        if device is not None:
            session["otp_device_id"] = device.persistent_id
        session.create()
        keys.append(session.session_key)
    return keys


def queue_files(agent, device):
    from titles.backoffice_services import agent_certs, files_for_agent

    agent.otp_device = device
    return files_for_agent(agent, agent_certs(agent))


def page_cursor(files, page):
    """Return the cursor of the queue's page `page` (or of its last page when shorter) and the page reached."""
    from core.pagination import KeysetPaginator
    from titles.workflow import PENDING_STATUSES

    pending = files.filter(status__in=PENDING_STATUSES, submitted_at__isnull=False)
    paginator = KeysetPaginator(pending, keys=("submitted_at", "pk"), per_page=PAGE)
    current, cursor, number = paginator.page(None), "", 1
    while number < page and current.has_next:
        cursor = current.next_cursor
        current = paginator.page(cursor)
        number += 1
    return cursor, number


def explain(files):
    from django.db import connection

    from titles.workflow import PENDING_STATUSES

    query = (files.filter(status__in=PENDING_STATUSES, submitted_at__isnull=False)
             .select_related("applicant", "cert", "assigned_to", "organisation")
             .order_by("submitted_at", "pk")[: PAGE + 1])
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return [row[0] for row in cursor.fetchall()]


def explain_status(files, status):
    """EXPLAIN (ANALYZE, BUFFERS) of the queue filtered by one status: its first page, and its count capped as
    `core.pagination.KeysetPaginator` counts it (the SQL Django runs for it, captured)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from core.pagination import COUNT_CAP

    filtered = files.filter(status=status, submitted_at__isnull=False)
    page = (filtered.select_related("applicant", "cert", "assigned_to", "organisation")
            .order_by("submitted_at", "pk")[: PAGE + 1])
    with CaptureQueriesContext(connection) as captured:
        filtered.order_by()[: COUNT_CAP + 1].count()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + captured.captured_queries[-1]["sql"])
        count = [row[0] for row in cursor.fetchall()]
    return {"page": explain_query(page), "count": count}


def api_client_key():
    """Return (full key, user, api_key) of the benchmark's garage (`portal.volume.volume_api_key`), authenticated
    as the API authenticates it."""
    from django.test import RequestFactory

    from accounts.models import Organisation
    from api.authentication import ApiKeyAuthentication
    from portal.volume import volume_api_key
    from vehicles.apps import PRO_AUTO

    garage = (Organisation.objects.filter(kind=PRO_AUTO, api_keys__prefix__startswith="garage-api-v")
              .order_by("pk").first())
    if garage is None:
        raise SystemExit("No API key in this volume: reload it with the current load_volume (bench/volume_db.py).")
    full_key = volume_api_key(garage.pk, PRO_AUTO)
    request = RequestFactory().get("/api/v1/files/", HTTP_AUTHORIZATION=f"Bearer {full_key}")
    user, api_key = ApiKeyAuthentication().authenticate(request)
    return full_key, user, api_key


def api_files(user, api_key):
    """The queryset the API list pages over (`api.base.ApiView.files`, ordered as `api.files.FilePagination`)."""
    from types import SimpleNamespace

    from api.base import ApiView
    from api.files import FilePagination

    view = ApiView()
    view.request = SimpleNamespace(user=user, auth=api_key)
    return view.files().select_related("applicant").order_by(*FilePagination.ordering)


def api_page_path(full_key, page):
    """Follow the API list's `next` links to page `page` (or its last); return its path and the page reached."""
    from urllib.parse import urlsplit

    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {full_key}")
    path, number = "/api/v1/files/", 1
    while number < page:
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"API list answered {response.status_code}: {response.content[:300]!r}")
        following = response.json()["next"]
        if not following:
            break
        parts = urlsplit(following)
        path, number = f"{parts.path}?{parts.query}", number + 1
    return path, number


def explain_query(query):
    from django.db import connection

    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return [row[0] for row in cursor.fetchall()]


def main():
    django.setup()
    from django_otp.plugins.otp_static.models import StaticDevice

    from accounts.models import Membership
    from titles import stats
    from titles.models import Application, GeneratedDocument
    from titles.registry import registry
    from titles.workflow import Status

    membership = Membership.objects.filter(role="agent", user__email__startswith="agent-volume").order_by("pk").first()
    if membership is None:
        raise SystemExit("No volume in this database: manage.py load_volume --files N first.")
    agent = membership.user
    device = StaticDevice.objects.get_or_create(user=agent, name="bench")[0]
    agent_cookies = sessions(agent, 4, device)
    files = queue_files(agent, device)
    # Citizens with a file under review at the agent's CERT: their Mon espace, their tracking page, the agent's page.
    # (Files a professional filed are the professional's to track: their citizen may not see them.)
    sample = list(files.filter(status=Status.IN_REVIEW, organisation__isnull=True).select_related("applicant")
                  .order_by("pk")[:SAMPLE])
    citizen_cookies = [sessions(application.applicant, 1)[0] for application in sample]
    codes = list(GeneratedDocument.objects.filter(application__in=[a.pk for a in sample])
                 .values_list("verification_code", flat=True))
    cursor, page_reached = page_cursor(files, PAGE)
    procedure = sorted(registry.all(), key=lambda p: p.code)[0].code

    def agent_targets(query):
        return [(f"/instruction/{query}", cookie) for cookie in agent_cookies]

    targets = {
        "mon_espace": [("/mon-espace/", cookie) for cookie in citizen_cookies],
        "tracking": [(f"/dossiers/{a.reference}/", cookie) for a, cookie in zip(sample, citizen_cookies, strict=True)],
        "queue": agent_targets(""),
        **{f"queue_{status}": agent_targets(f"?status={status}")
           for status in (Status.SUBMITTED, Status.IN_REVIEW, Status.NEEDS_INFO, Status.ACCEPTED, Status.REJECTED)},
        "queue_procedure": agent_targets(f"?procedure={procedure}"),
        "queue_age_30": agent_targets("?age=30"),
        "queue_mine": agent_targets("?mine=on"),
        f"queue_page_{page_reached}": agent_targets(f"?curseur={cursor}" if cursor else ""),
        "agent_file": [(f"/instruction/dossiers/{a.reference}/", agent_cookies[i % len(agent_cookies)])
                       for i, a in enumerate(sample)],
        "statistics": [("/statistiques/", "")],
        "verify": [(f"/verifier/{code}/", "") for code in codes],
    }
    full_key, key_user, api_key = api_client_key()
    bearer = f"bearer:{full_key}"
    api_path, api_page_reached = api_page_path(full_key, API_PAGE)
    organisation_files = api_files(key_user, api_key)
    targets.update({
        "api_list": [("/api/v1/files/", bearer)],
        "api_list_filtered": [(f"/api/v1/files/?status={Status.IN_REVIEW}", bearer)],
        f"api_page_{api_page_reached}": [(api_path, bearer)],
    })
    stats.refresh_snapshot()
    result = {
        "files": Application.objects.count(),
        "targets": targets,
        "page_reached": page_reached,
        "explain": explain(files),
        "explain_status": explain_status(files, Status.SUBMITTED),
        "api_files": organisation_files.count(),
        "api_page_reached": api_page_reached,
        "api_explain": explain_query(organisation_files[: API_PAGE_SIZE + 1]),
        "api_explain_status": explain_query(organisation_files.filter(status=Status.IN_REVIEW)[: API_PAGE_SIZE + 1]),
    }
    sys.stdout.write("BENCH_JSON " + json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
