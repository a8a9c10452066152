from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse

from journal.enums import ROLE_LABELS
from journal.models import Entry

PER_PAGE = 30


@login_required
def mine(request):
    """Mon espace, « Qui a agi pour moi » : the acts that concern the signed-in person, newest first; theirs only."""
    entries = Entry.objects.concerning(request.user).select_related("actor", "organisation")
    page = Paginator(entries, PER_PAGE).get_page(request.GET.get("page"))
    for entry in page:
        entry.role_label = ROLE_LABELS.get(entry.actor_role, "")
    return render(
        request,
        "journal/mine.html",
        {
            "page": page,
            "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
            "breadcrumb_data": {
                "links": [{"url": reverse("titles:dashboard"), "title": "Mon espace"}],
                "current": "Qui a agi pour moi",
            },
        },
    )
