"""Mon espace: the citizen's files across titles, the mandates given (confirm, revoke) and the assisted sessions
(end one, from Mon espace or the e-mail's link).

The wizard is in `wizard.py`, one file's pages in `files.py`. Every view: fetch through a permission-scoped
queryset (404 otherwise), validate a form, call one service, map a refusal to a message.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.http import render_form
from titles import services
from titles.models import Application, AssistedSession, Mandate
from titles.presentation import status_summary
from titles.registry import registry
from titles.workflow import FINAL_STATUSES, Status


@login_required
def dashboard(request):
    """Mon espace: all of the user's applications across titles, drafts, requests to answer, mandates."""
    applications = list(
        Application.objects.filter(applicant=request.user)
        .select_related("cert", "organisation")
        .order_by("-updated_at")
    )
    mandates = list(
        Mandate.objects.filter(citizen=request.user).select_related("organisation").order_by("-created_at")
    )
    # A mandate an organisation asked for or declared takes effect only once its holder confirms it: here, at the
    # top of her space, or from the e-mail.
    pending_mandates = [mandate for mandate in mandates if mandate.is_pending]
    for mandate in pending_mandates:
        mandate.labels = [registry.get(code).label for code in mandate.procedures if code in registry]
    # The sessions that still count (running, or waiting for the code sent to the citizen), each with a button
    # to end it; then the past ones.
    open_sessions = list(
        AssistedSession.objects.open().filter(citizen=request.user).select_related("mediateur", "place")
    )
    sessions = (
        AssistedSession.objects.filter(citizen=request.user, consented_at__isnull=False)
        .exclude(pk__in=[s.pk for s in open_sessions])
        .select_related("mediateur", "place")[:10]
    )
    groups = {
        "to_answer": [a for a in applications if a.status == Status.NEEDS_INFO],
        "drafts": [a for a in applications if a.status == Status.DRAFT],
        "current": [
            a
            for a in applications
            if a.status not in FINAL_STATUSES and a.status not in (Status.DRAFT, Status.NEEDS_INFO)
        ],
        "finished": [a for a in applications if a.status in FINAL_STATUSES],
    }
    for application in applications:
        application.summary = status_summary(application)
    return render_form(
        request,
        "titles/dashboard.html",
        {
            **groups,
            "mandates": [mandate for mandate in mandates if mandate.confirmed_at is not None],
            "pending_mandates": pending_mandates,
            "open_sessions": open_sessions,
            "assisted_sessions": sessions,
            "title_groups": registry.title_groups(),
            "breadcrumb_data": {"current": "Mon espace"},
        },
    )


@login_required
@require_POST
def end_assisted_session(request, pk):
    """The citizen ends, from Mon espace, a session a médiateur opened with them (running or waiting for the code)."""
    session = get_object_or_404(
        AssistedSession.objects.select_related("mediateur", "place"),
        pk=pk,
        citizen=request.user,
        ended_at__isnull=True,
    )
    services.end_assisted_session(session, by=request.user)
    messages.success(
        request,
        f"L'accompagnement par {session.mediateur.get_full_name()} ({session.place.name}) est terminé : "
        "cette personne n'a plus accès à vos démarches.",
    )
    return redirect("titles:dashboard")


def end_assisted_session_link(request, token):
    """The link of the consent e-mail: a confirmation page, then the session ends (POST). The signed link, sent to
    the citizen's address only, is the authority: the person may not be signed in on this device."""
    session = services.session_from_end_link(token)
    if session is None:
        return render_form(request, "titles/assisted_session_end.html", {"session": None}, status=404)
    ended_now = False
    if request.method == "POST" and session.ended_at is None:
        session = services.end_assisted_session(session, by=session.citizen)
        ended_now = True
    return render_form(
        request,
        "titles/assisted_session_end.html",
        {
            "session": session,
            "ended_now": ended_now,
            "still_open": session.ended_at is None and session.expires_at > timezone.now(),
        },
    )


@login_required
def mandates(request):
    """The citizen's mandates: who may file what in their name; revoke one."""
    items = (
        Mandate.objects.filter(citizen=request.user)
        .select_related("organisation")
        .annotate(
            files=Count("organisation__applications", filter=Q(organisation__applications__applicant=request.user))
        )
    )
    return render_form(
        request, "titles/mandates.html", {"mandates": items, "breadcrumb_data": {"current": "Mes mandats"}}
    )


@login_required
@require_POST
def revoke_mandate(request, pk):
    mandate = get_object_or_404(Mandate, citizen=request.user, pk=pk, revoked_at__isnull=True)
    refused = mandate.confirmed_at is None
    services.revoke_mandate(mandate, by=request.user)
    if refused:
        messages.success(
            request,
            f"Vous avez refusé le mandat de {mandate.organisation.name} : elle ne peut ni agir ni voir vos dossiers.",
        )
    else:
        messages.success(
            request,
            f"Le mandat donné à {mandate.organisation.name} est révoqué : elle ne peut plus agir ni voir vos "
            "dossiers.",
        )
    return redirect("titles:mandates")


@login_required
def confirm_mandate(request, token):
    """The citizen confirms, in one click from the e-mail, the mandate an organisation asked for."""
    mandate = get_object_or_404(Mandate.objects.select_related("organisation"), token=token, citizen=request.user)
    status = 200
    if request.method == "POST":
        try:
            services.confirm_mandate(mandate, by=request.user)
        except services.MandateRefused as refusal:
            messages.error(request, refusal.reason)
            status = 409
        else:
            messages.success(request, f"Vous avez donné mandat à {mandate.organisation.name}.")
            return redirect("titles:mandates")
    labels = [registry.get(code).label for code in mandate.procedures if code in registry]
    return render_form(request, "titles/mandate_confirm.html", {"mandate": mandate, "labels": labels}, status=status)
