"""The public pages of the engine, no sign-in: the verification of a generated document (`/verifier/`, where its
QR code leads) and the dashboard of delays (`/statistiques/`, figures from `titles.stats`)."""

from types import SimpleNamespace

from django.shortcuts import redirect
from django.utils import formats, timezone

from core.http import render_form
from titles.enums import DocumentStatus
from titles.forms import VerifyForm
from titles.models import GeneratedDocument, normalise_public_code
from titles.registry import registry
from titles.stats import current_figures
from titles.www.public.charts import line_chart
from titles.www.public.forms import HistoryForm


def public_statistics(request):
    """Per procedure and per CERT: files waiting, the oldest one's age, and the median and 90th percentile of the
    time to a decision over the last 30 days; then, for one procedure or all, the backlog week by week and the
    median delay month by month, as charts with their tables. The whole country by default; one CERT's figures
    beside it on demand (`centre`): the page keeps the same size whatever the number of files."""
    dashboard, history = current_figures()  # one read of the snapshot
    form = HistoryForm(request.GET or None, centres=[line.cert_name for line in dashboard.certs])
    code = centre = None
    if form.is_valid():
        code = form.cleaned_data["demarche"] or None
        centre = form.cleaned_data["centre"] or None
    tables = [SimpleNamespace(label=p.label, title_label=p.title_label, rows=p.rows_for(centre))
              for p in dashboard.procedures]
    return render_form(
        request,
        "titles/statistics.html",
        {
            "dashboard": dashboard,
            "procedure_tables": tables,
            "centre": centre,
            "history_form": form,
            "charts": history_charts(history, code, centre),
            "breadcrumb_data": {"current": "Délais de traitement"},
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


def history_charts(history, code, centre=None):
    """Return the two charts of one procedure (or of all when `code` is None): backlog and median delay, for the
    whole country and, when given, the CERT `centre`."""
    subject = registry.get(code).label if code else "toutes démarches"
    current = timezone.localtime(history.now)
    months = [formats.date_format(start, "F Y") for start in history.months]
    if history.months and history.months[-1].month == current.month:
        months[-1] += " (mois en cours)"
    return {
        "subject": subject,
        "key": f"{code or ''}|{centre or ''}",  # what the page caches the charts under
        "backlog": line_chart(
            "attente",
            f"Demandes en attente de décision, semaine par semaine ({subject})",
            history.backlog_series(code, centre),
            x_labels=[formats.date_format(timezone.localtime(at), "j M") for at in history.weeks],
            x_names=[formats.date_format(timezone.localtime(at), "j F Y") for at in history.weeks],
        ),
        "delays": line_chart(
            "delais",
            f"Délai médian de décision, mois par mois, en jours ({subject})",
            history.delay_series(code, centre),
            x_labels=[formats.date_format(start, "M y") for start in history.months],
            x_names=months,
            unit="jours",
        ),
    }


def verify(request, code=None):
    """The public page a document's QR code leads to: what it is, when issued, until when valid. Initials only."""
    form = VerifyForm(request.GET or None) if code is None else None
    if code is None and form is not None and form.is_valid():
        return redirect("titles:verify", code=form.cleaned_data["code"])
    document = None
    if code is not None:
        document = (
            GeneratedDocument.objects.select_related("application__applicant")
            .filter(verification_code=normalise_public_code(code), status=DocumentStatus.READY)
            .first()
        )
    status = 404 if code is not None and document is None else 200
    context = {"form": form, "document": document, "code": code}
    return render_form(request, "titles/verify.html", context, status=status)


def verify_short(request, code):
    """Where a document's QR code leads (``titles.pdf.verification_qr_url``): on to the verification page."""
    return redirect("titles:verify", code=code)
