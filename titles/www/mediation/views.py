"""The médiateur's console at a point or espace numérique: assisted sessions with the citizen's consent."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from core.http import render_form
from titles import services
from titles.models import Application, AssistedSession
from titles.permissions import MEDIATEURS, member_required
from titles.presentation import status_summary
from titles.registry import registry
from titles.www.citizen.access import acting_in_session
from titles.www.mediation.forms import ConsentForm, OpenSessionForm

# The console is a space (403 for anyone but a médiateur); a session's pages are about one object: 404 for anyone
# but its médiateur, whether it exists or not.
console_access = member_required(MEDIATEURS, denied=PermissionDenied)
session_access = member_required(MEDIATEURS, denied=Http404)


@console_access
def console(request):
    places = request.organisations
    form = OpenSessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            session = services.open_assisted_session(mediateur=request.user, place=places[0], citizen=form.citizen)
        except services.SessionRefused as refusal:
            form.add_error("email", refusal.reason)
        else:
            messages.info(request, "Un code vient d'être envoyé à l'adresse saisie.")
            return redirect("mediation:consent", pk=session.pk)
    sessions = list(AssistedSession.objects.filter(mediateur=request.user).select_related("citizen", "place")[:20])
    open_ids = set(
        AssistedSession.objects.open().filter(pk__in=[s.pk for s in sessions]).values_list("pk", flat=True)
    )
    for session in sessions:
        session.is_open = session.pk in open_ids
    return render_form(
        request,
        "titles/mediation/console.html",
        {"form": form, "sessions": sessions, "places": places, "breadcrumb_data": {"current": "Accompagnement"}},
        status=400 if form.errors else 200,
    )


@session_access
def consent(request, pk):
    # Nothing about the person is shown before they consent: the page names neither them nor their address.
    session = get_object_or_404(AssistedSession, pk=pk, mediateur=request.user)
    form = ConsentForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.confirm_assisted_session(session, form.cleaned_data["code"])
        except services.SessionRefused as refusal:
            form.add_error("code", refusal.reason)
            status = 429 if refusal.code == "rate" else 400
        else:
            messages.success(request, f"Séance ouverte avec {session.citizen.get_full_name()}.")
            return redirect("mediation:session", pk=session.pk)
    elif form.errors:
        status = 400
    return render_form(request, "titles/mediation/consent.html", {"form": form, "session": session}, status=status)


@session_access
def session_page(request, pk):
    session = get_object_or_404(
        AssistedSession.objects.select_related("citizen", "place"), pk=pk, mediateur=request.user
    )
    if session.consented_at is None:  # not consented: nothing of the person is shown
        return redirect("mediation:consent", pk=session.pk)
    # The queryset's answer, not the row's times: a médiateur whose membership is deactivated has no session left.
    session.is_open = AssistedSession.objects.active().filter(pk=session.pk).exists()
    applications = []
    if session.is_open:
        applications = list(
            Application.objects.filter(applicant=session.citizen).select_related("cert").order_by("-updated_at")
        )
        for application in applications:
            application.summary = status_summary(application)
    return render_form(
        request,
        "titles/mediation/session.html",
        {
            "session": session,
            "applications": applications,
            "title_groups": registry.title_groups(),
            "acting_for": acting_in_session(session) if session.is_open else None,
            "breadcrumb_data": {"current": f"Séance avec {session.citizen.get_full_name()}"},
        },
    )


@session_access
@require_POST
def end_session(request, pk):
    session = get_object_or_404(AssistedSession, pk=pk, mediateur=request.user, ended_at__isnull=True)
    services.end_assisted_session(session, by=request.user)
    messages.success(request, "La séance est terminée : vous n'avez plus accès aux dossiers de cette personne.")
    return redirect("mediation:console")
