"""The pré-demande's own pages: the citizen's pré-demande and appointment, the mairie agent's desk, the public list
of equipped mairies. The wizard, payment, submission and tracking are the engine's (`titles/www/citizen/`).

Every view: fetch through a permission-scoped queryset (404 otherwise), validate a form, call one service, map
`AppointmentRefused` to a message.
"""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone

from core.formats import french_date
from core.http import render_form
from identity import selectors, services
from identity.forms import BookingForm, CancelForm, DepositForm, LookupForm, SlotFilterForm
from identity.models import Mairie, PreDemande, Slot
from identity.permissions import MAIRIE, MAIRIE_AGENTS
from identity.procedures import RECAPITULATIF, PreDemandeProcedure
from identity.rules import FINGERPRINT_MIN_AGE
from titles.models import Application, GeneratedDocument, normalise_public_code
from titles.permissions import member_required
from titles.registry import registry
from titles.workflow import Status


def pre_demande_codes():
    """Return the codes of every pré-demande procedure registered (CNI, passeport, both), read at call time."""
    return [procedure.code for procedure in registry.all() if isinstance(procedure, PreDemandeProcedure)]


# The citizen's side ---------------------------------------------------------------------------------------------


def _application(request, reference):
    """Return a submitted pré-demande the user may see on the applicant side, or 404 (never 403)."""
    application = get_object_or_404(
        Application.objects.for_applicant_side(request.user)
        .filter(procedure_code__in=pre_demande_codes())
        .select_related("applicant", "cert", "pre_demande"),
        reference=normalise_public_code(reference),
    )
    if not hasattr(application, "pre_demande"):
        raise Http404("Pré-demande pas encore déposée")
    return application


def _breadcrumb(application, current):
    return {
        "links": [
            {"url": reverse("titles:dashboard"), "title": "Mon espace"},
            {"url": reverse("titles:detail", kwargs={"reference": application.reference}),
             "title": f"Dossier {application.reference}"},
        ],
        "current": current,
    }


@login_required
def pre_demande(request, reference):
    """The pré-demande: its number, the récapitulatif, the appointment (book, move, cancel) and the pièces."""
    application = _application(request, reference)
    context = application.procedure.pre_demande_context(application, request.user)
    context["breadcrumb_data"] = _breadcrumb(application, f"Pré-demande {application.pre_demande.number_display}")
    return render_form(request, "identity/pre_demande.html", context)


@login_required
def appointment(request, reference):
    """Choose a slot at an equipped mairie of the département (filter by commune or postal code, week by week)."""
    application = _application(request, reference)
    context = application.procedure.pre_demande_context(application, request.user)
    if not context["can_manage"]:
        raise Http404("Aucun rendez-vous à prendre pour ce dossier")
    status = 200
    if request.method == "POST":
        form = BookingForm(request.POST)
        if form.is_valid():
            try:
                slot = services.book_slot(application, form.cleaned_data["slot"], actor=request.user)
            except services.AppointmentRefused as error:
                messages.error(request, error.reason)
                status = 409 if error.code == "taken" else 400
            else:
                messages.success(request, f"Votre rendez-vous est réservé : {slot.mairie.name}, le "
                                          f"{services.french_datetime(slot.start)}. Un courriel de confirmation "
                                          "vous est envoyé.")
                return redirect("identity:pre_demande", reference=application.reference)
        else:
            status = 400
    filters = SlotFilterForm(request.GET or None)
    commune, week = "", None
    if filters.is_bound and filters.is_valid():
        commune, week = filters.cleaned_data["commune"], filters.cleaned_data["semaine"]
    context.update(selectors.slot_listing(application, commune=commune, week=week), filters=filters, commune=commune,
                   breadcrumb_data=_breadcrumb(application, "Prendre rendez-vous"))
    return render_form(request, "identity/appointment.html", context, status=status)


@login_required
def cancel(request, reference):
    application = _application(request, reference)
    context = application.procedure.pre_demande_context(application, request.user)
    if not context["can_manage"] or context["slot"] is None:
        raise Http404("Aucun rendez-vous à annuler")
    form = CancelForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.cancel_appointment(application, actor=request.user)
        except services.AppointmentRefused as error:
            messages.error(request, error.reason)
        else:
            expires_on = french_date(application.pre_demande.expires_on)
            messages.success(request, "Votre rendez-vous est annulé. Pensez à en prendre un autre : la pré-demande "
                                      f"est valable jusqu'au {expires_on}.")
        return redirect("identity:pre_demande", reference=application.reference)
    context.update(form=form, breadcrumb_data=_breadcrumb(application, "Annuler le rendez-vous"))
    return render_form(request, "identity/cancel.html", context, status=400 if form.errors else 200)


def mairies(request):
    """The public list of the mairies that receive CNI and passeport applications, by département or commune."""
    filters = SlotFilterForm(request.GET or None)
    commune = filters.cleaned_data["commune"] if filters.is_bound and filters.is_valid() else ""
    items = Mairie.objects.equipped().matching(commune).order_by("departement", "city", "name")
    return render_form(request, "identity/mairies.html", {
        "mairies": items, "filters": filters, "commune": commune,
        "breadcrumb_data": {"current": "Mairies équipées pour la carte d'identité et le passeport"},
    })


# The mairie's side ----------------------------------------------------------------------------------------------


# The desk is a space (403 for anyone but an agent of an equipped mairie); a pré-demande's page is about one file
# (404). Both ask the second factor of the agents (`titles.permissions.member_required`).
desk_access = member_required(MAIRIE_AGENTS, denied=PermissionDenied)
file_access = member_required(MAIRIE_AGENTS, denied=Http404)


def _find(code):
    """Return the pré-demande of a number (10 characters) or of its récapitulatif's verification code (12)."""
    if len(code) == 10:
        return PreDemande.objects.select_related("application").filter(number=code).first()
    document = GeneratedDocument.objects.filter(verification_code=code, kind=RECAPITULATIF.kind).first()
    return PreDemande.objects.filter(application_id=document.application_id).first() if document else None


@desk_access
def desk(request):
    """The mairie agent's desk: look a pré-demande up by number or QR code; today's appointments."""
    form = LookupForm(request.GET or None)
    if form.is_bound and form.is_valid():
        pre_demande = _find(form.cleaned_data["numero"])
        if pre_demande is None:
            form.add_error("numero", "Aucune pré-demande ne correspond à ce numéro.")
        elif not MAIRIE.check(pre_demande.application, request.user):
            form.add_error("numero", "Cette pré-demande n'est plus valable (expirée, retirée, close ou déposée dans "
                                     "une autre mairie) : l'usager doit en faire une nouvelle.")
        else:
            return redirect("identity:mairie_file", number=pre_demande.number)
    today = timezone.localdate()
    start = timezone.make_aware(datetime.datetime.combine(today, datetime.time()))
    appointments = (
        Slot.objects.filter(mairie__in=request.organisations, start__gte=start,
                            start__lt=start + datetime.timedelta(days=1),
                            application__status__in=(Status.SUBMITTED, Status.IN_REVIEW))
        .select_related("mairie", "application__pre_demande__deposit")
        .order_by("start")
    )
    for slot in appointments:
        slot.holder_name = slot.application.procedure.holder_name(slot.application)
        slot.is_deposited = hasattr(slot.application.pre_demande, "deposit")
    return render_form(request, "identity/mairie/desk.html", {
        "form": form, "appointments": appointments, "mairies": request.organisations, "today": today,
        "breadcrumb_data": {"current": "Dispositif de recueil"},
    }, status=400 if form.errors else 200)


@file_access
def mairie_file(request, number):
    """A pré-demande as the mairie agent sees it, and the deposit form (pièces checked, fingerprints taken)."""
    pre_demande = get_object_or_404(
        PreDemande.objects.select_related("application__applicant", "application__cert"),
        number=normalise_public_code(number),
    )
    if not MAIRIE.check(pre_demande.application, request.user):
        raise Http404("Pré-demande introuvable")
    application = pre_demande.application
    procedure = application.procedure
    age = procedure.holder_age(application)
    slot = services.appointment_of(application)
    mairies = Mairie.objects.filter(pk__in=[m.pk for m in request.organisations])
    form = DepositForm(request.POST or None, mairies=mairies,
                       pieces=procedure.pieces(application), holder_age=age,
                       # The mairie of the appointment, when the agent works there.
                       initial={"mairie": slot.mairie_id} if slot and slot.mairie in request.organisations else None)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.record_deposit(
                    pre_demande,
                    agent=request.user,
                    mairie=form.cleaned_data["mairie"],
                    fingerprints_taken=form.cleaned_data["fingerprints_taken"],
                    pieces=form.cleaned_data["pieces"],
                    note=form.cleaned_data["note"],
                )
            except services.AppointmentRefused as error:
                messages.error(request, error.reason)
            else:
                messages.success(request, f"Le dépôt de la pré-demande {pre_demande.number_display} est enregistré : "
                                          "la demande est transmise au centre d'instruction.")
                return redirect("identity:mairie_file", number=pre_demande.number)
    else:
        services.record_lookup(pre_demande, agent=request.user)
    context = procedure.pre_demande_context(application)
    context.update(
        form=form,
        lines=procedure.summary_lines(application),
        needs_fingerprints=age is not None and age >= FINGERPRINT_MIN_AGE,
        breadcrumb_data={"links": [{"url": reverse("identity:desk"), "title": "Dispositif de recueil"}],
                         "current": f"Pré-demande {pre_demande.number_display}"},
    )
    return render_form(request, "identity/mairie/file.html", context, status=400 if form.errors else 200)
