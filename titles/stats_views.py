"""The public dashboard of delays (`/statistiques/`): no sign-in, figures from `titles.stats`."""

from django.shortcuts import render

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
