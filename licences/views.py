"""The driving school's space (its students' files, enrolment, transfers) and the student's side of both: the
one-click mandate confirmation (with a password for an account the school opened) and the transfer answer.

The procedures themselves run in the engine's wizard (`/demarches/<code>/`).
"""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse

from core.http import render_form
from licences import selectors, services
from licences.enums import AUTO_ECOLE
from licences.forms import StudentMandateForm, StudentPasswordForm, TransferRequestForm
from licences.models import SchoolTransfer
from licences.permissions import DRIVING_SCHOOLS
from titles.models import Mandate
from titles.permissions import member_required
from titles.registry import registry

# A member of a driving school (404 for anyone else), then the second factor.
school_staff_required = member_required(DRIVING_SCHOOLS)


def _school(request):
    """Return (the school the member acts for, all their schools)."""
    schools = request.organisations
    school = selectors.school_of(schools, request.GET.get("ecole") or request.POST.get("ecole"))
    if school is None:
        raise Http404("École inconnue")
    return school, schools


def _space_link():
    return {"url": reverse("licences:school_space"), "title": "Espace école de conduite"}


@school_staff_required
def school_space(request):
    """The school's students: their files and what each is waiting for, the mandates, the pending transfers."""
    school, schools = _school(request)
    space = selectors.school_space(school, user=request.user)
    return render_form(request, "licences/school_space.html", {
        "school": school, "schools": schools, **space,
        "breadcrumb_data": {"current": "Espace école de conduite"},
    })


@school_staff_required
def new_student(request):
    """Enrol a student: ask for an electronic mandate (e-mailed) or declare the paper one the school holds."""
    school, _ = _school(request)
    form = StudentMandateForm(request.POST or None, procedures=services.school_procedures())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            mandate = services.enrol_student(
                school, staff=request.user, email=data["email"], given_names=data["given_names"],
                family_name=data["family_name"], birth_date=data["birth_date"], procedures=data["procedures"],
                consent_method=data["consent_method"], months=data["months"],
            )
        except services.ActionRefused as error:
            form.add_error(None, error.reason)
        else:
            if mandate.confirmed_at is not None:
                messages.success(request, "Le mandat papier est enregistré : vous pouvez déposer les démarches de "
                                          "l'élève. Il est prévenu par courriel.")
            else:
                # The address the school typed, not the account's: nothing of the person before she confirms.
                messages.success(request, f"Un courriel est envoyé à {data['email']} : le mandat prend effet "
                                          "dès que l'élève le confirme.")
            return redirect(f"{reverse('licences:school_space')}?ecole={school.pk}")
    return render_form(request, "licences/new_student.html", {
        "school": school, "form": form,
        "breadcrumb_data": {"links": [_space_link()], "current": "Nouvel élève"},
    }, status=400 if request.method == "POST" and form.errors else 200)


@school_staff_required
def request_transfer(request):
    """Ask to take over a student's file from another school, with its reference; the student decides."""
    school, _ = _school(request)
    form = TransferRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.request_transfer(school, staff=request.user, reference=form.cleaned_data["reference"],
                                      family_name=form.cleaned_data["family_name"])
        except services.ActionRefused as error:
            form.add_error(None, error.reason)
        else:
            messages.success(request, "La demande de transfert est envoyée à l'élève : le dossier vous sera confié "
                                      "dès qu'il l'aura confirmée.")
            return redirect(f"{reverse('licences:school_space')}?ecole={school.pk}")
    return render_form(request, "licences/transfer_request.html", {
        "school": school, "form": form,
        "breadcrumb_data": {"links": [_space_link()], "current": "Reprendre le dossier d'un élève"},
    }, status=400 if request.method == "POST" and form.errors else 200)


def student_mandate(request, token):
    """The link of the mandate e-mail: a student whose account the school opened chooses a password and confirms
    in one click; a student who already has an account signs in and confirms on the engine's page."""
    mandate = get_object_or_404(Mandate.objects.select_related("organisation", "citizen"), token=token,
                                organisation__kind=AUTO_ECOLE)
    student = mandate.citizen
    pending = mandate.is_pending
    other_person = request.user.is_authenticated and request.user.pk != student.pk
    context = {"mandate": mandate, "pending": pending, "other_person": other_person,
               "labels": [registry.get(code).label for code in mandate.procedures if code in registry]}
    if not pending or other_person:
        return render_form(request, "licences/student_mandate.html", context)
    if not services.needs_password(student):
        confirm_url = reverse("titles:confirm_mandate", kwargs={"token": token})
        if request.user.is_authenticated:
            return redirect(confirm_url)
        return redirect(f"{reverse('accounts:login')}?next={confirm_url}")
    form = StudentPasswordForm(student, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.activate_student(mandate, password=form.cleaned_data["new_password1"])
        except services.ActionRefused as error:
            messages.error(request, error.reason)
            return redirect("licences:student_mandate", token=token)
        student.refresh_from_db()
        login(request, student, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Votre compte est ouvert et vous avez donné mandat à {mandate.organisation.name}. "
                                  "Vous suivrez ici chaque dossier déposé en votre nom.")
        return redirect("titles:dashboard")
    return render_form(request, "licences/student_mandate.html", {**context, "form": form},
                  status=400 if request.method == "POST" else 200)


@login_required
def transfer_confirm(request, token):
    """The student accepts or refuses that another school takes over their file."""
    transfer = get_object_or_404(
        SchoolTransfer.objects.select_related("application", "from_organisation", "to_organisation"),
        token=token, application__applicant=request.user,
    )
    if request.method == "POST" and transfer.is_pending:
        decision = request.POST.get("decision")
        action = {"confirm": services.confirm_transfer, "refuse": services.refuse_transfer}.get(decision)
        if action is None:
            messages.error(request, "Choisissez de confirmer ou de refuser le transfert.")
        else:
            try:
                action(transfer, by=request.user)
            except services.ActionRefused as error:
                messages.error(request, error.reason)
            else:
                messages.success(request, f"Votre dossier est désormais suivi par {transfer.to_organisation.name}."
                                 if decision == "confirm" else "Vous avez refusé le transfert : rien ne change.")
            return redirect("titles:detail", reference=transfer.application.reference)
    return render_form(request, "licences/transfer_confirm.html", {"transfer": transfer})
