"""The public pages of the engine, no sign-in: the verification of a generated document (`/verifier/`, where its
QR code leads) and the dashboard of delays (`/statistiques/`, figures from `titles.stats`)."""

from django.shortcuts import redirect, render

from titles.enums import DocumentStatus
from titles.forms import VerifyForm
from titles.models import GeneratedDocument, normalise_public_code
from titles.stats import cached_dashboard


def public_statistics(request):
    """Per procedure, per procedure and CERT, and per CERT: files waiting, the oldest one's age, and the median and
    90th percentile of the time to a decision over the last 30 days."""
    return render(
        request,
        "titles/statistics.html",
        {
            "dashboard": cached_dashboard(),
            "breadcrumb_data": {"current": "Délais de traitement"},
        },
    )


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
    return render(request, "titles/verify.html", {"form": form, "document": document, "code": code}, status=status)


def verify_short(request, code):
    """Where a document's QR code leads (``titles.pdf.verification_qr_url``): on to the verification page."""
    return redirect("titles:verify", code=code)
