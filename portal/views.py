import logging
import re

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.enums import ASSISTING_ORGANISATION_KINDS
from accounts.models import Organisation
from core import opening_hours
from core.geography import departement_of
from portal.celery import app as celery_app
from titles.registry import registry

logger = logging.getLogger(__name__)


def home(request):
    return render(request, "portal/home.html", {"title_groups": registry.title_groups()})


def help_page(request):
    return render(request, "portal/help.html")


def points_numeriques(request):
    """The directory of points and espaces numériques: search by commune, postal code or département, and for each
    place whether it is open now and its next seven days."""
    query = (request.GET.get("q") or request.GET.get("departement") or "").strip()[:60]
    places = Organisation.objects.active().filter(kind__in=ASSISTING_ORGANISATION_KINDS).order_by(
        "departement", "city", "name")
    compact = query.replace(" ", "").upper()
    if re.fullmatch(r"\d{5}", compact):
        # A postal code: the places of that code first, then the rest of its département.
        places = sorted(places.filter(departement=departement_of(compact)),
                        key=lambda place: place.postal_code != compact)
    elif re.fullmatch(r"\d{2,3}|2A|2B", compact):
        places = places.filter(departement=compact)
    elif query:
        places = places.filter(city__icontains=query)
    now = timezone.now()
    rows = [(place, opening_hours.status(place.opening_hours, now), opening_hours.week(place.opening_hours))
            for place in places]
    return render(request, "portal/points_numeriques.html", {"rows": rows, "query": query})


def legal_page(request, page):
    return render(request, f"portal/legal/{page}.html")


@never_cache
@require_GET
def healthz(request):
    """What a load balancer asks: 503 when the database does not answer (nothing works without it), 200 otherwise.

    The broker (Redis) is checked too, but its failure only makes the answer "degraded": pages keep working
    (e-mails and PDFs wait in the database's outbox, the cache misses), so taking every web node out of the pool
    for it would turn a partial outage into a total one. Monitoring alerts on "degraded"."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # any driver error means "not healthy"
        logger.warning("healthz: database check failed: %s", exc)
        checks["database"] = "error"
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        try:
            with celery_app.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, timeout=2)
            checks["broker"] = "ok"
        except Exception as exc:  # kombu raises many kinds
            logger.warning("healthz: broker check failed: %s", exc)
            checks["broker"] = "error"
    if checks["database"] != "ok":
        return JsonResponse({"status": "error", "checks": checks}, status=503)
    status = "ok" if all(value == "ok" for value in checks.values()) else "degraded"
    return JsonResponse({"status": status, "checks": checks}, status=200)


def error_400(request, exception=None):
    return render(request, "errors/400.html", status=400)


def error_403(request, exception=None):
    return render(request, "errors/403.html", status=403)


def error_404(request, exception=None):
    return render(request, "errors/404.html", status=404)


def error_500(request):
    return render(request, "errors/500.html", status=500)
