"""Reads of the driving school's space, kept out of the views: its students' files with what each waits for, its
mandates with their state and the procedures it may start under each, the transfers asked of it."""

from django.urls import reverse
from django.utils import timezone

from licences.models import SchoolTransfer
from titles.enums import ConsentMethod
from titles.models import Application, Mandate
from titles.presentation import status_summary
from titles.registry import registry
from titles.workflow import Status


def school_of(schools, wanted):
    """Return the school of `schools` whose id is `wanted` (text, from the page's `ecole`), the first one without a
    choice, or None for an id that is not one of them."""
    if not wanted:
        return schools[0]
    return next((school for school in schools if str(school.pk) == wanted), None)


def school_space(school, *, user, now=None):
    """Return the space of `school` as `user`, one of its members, sees it: `files`, `mandates`, `transfers`."""
    now = now or timezone.now()
    files = list(
        Application.objects.for_user(user).filter(organisation=school)
        .select_related("applicant", "cert").order_by("-updated_at")
    )
    for application in files:
        application.summary = status_summary(application)
        application.waiting_for = waiting_for(application)
    mandates = list(Mandate.objects.filter(organisation=school).select_related("citizen").order_by("-created_at"))
    for mandate in mandates:
        mandate.state, mandate.tone = mandate_state(mandate, now)
        mandate.links = filing_links(mandate)
    transfers = list(
        SchoolTransfer.objects.pending().filter(to_organisation=school)
        .select_related("application", "mandate").order_by("-requested_at")
    )
    return {"files": files, "mandates": mandates, "transfers": transfers}


def waiting_for(application):
    """Return, in French, whom a student's file waits for, as the school reads it."""
    if application.status == Status.DRAFT:
        return "Votre école : terminer et déposer le dossier"
    summary = status_summary(application)
    if summary.waiting_for == "vous":
        return "Votre école : répondre à la demande de complément"
    waiting = summary.waiting_for
    return waiting[:1].upper() + waiting[1:] if waiting else "Rien : dossier terminé"


def filing_links(mandate):
    """Return (label, url) of each procedure the school may start now under this mandate."""
    if not mandate.is_valid:
        return []
    links = []
    for code in mandate.procedures:
        if code not in registry:
            continue
        procedure = registry.get(code)
        if procedure.refuse_mandate(mandate) is None:
            links.append((procedure.label, f"{reverse('titles:start', kwargs={'code': code})}?mandat={mandate.pk}"))
    return links


def mandate_state(mandate, now):
    """Return (the mandate's state in French, its DSFR badge tone)."""
    if mandate.revoked_at:
        return "Révoqué", "error"
    if mandate.valid_until < now:
        return "Expiré", "warning"
    if mandate.confirmed_at is None:
        return "En attente de la confirmation de l'élève", "new"
    return ("Mandat papier" if mandate.consent_method == ConsentMethod.PAPER else "Confirmé par l'élève"), "success"
