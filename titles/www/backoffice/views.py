"""The CERT back office: the queue of the agent's CERTs, one file's page, the agent's actions on it.

Every view requires an active agent of an active CERT who passed a second factor (`titles.permissions`). The queue
answers 403 to anyone else; a file's pages answer 404 (no existence leak), and so does a file routed to another
CERT: files are held to the agent's role (`titles.permissions.AGENT`), narrowed to the agent's CERTs. Every state
change goes through `titles.services.apply_transition` (one event naming the agent); actions are POST-only and
CSRF-protected.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.http import render_form
from core.pagination import InvalidCursor, KeysetPaginator
from titles import permissions, services
from titles.backoffice_services import add_annotation, apply_to_each, files_for_agent
from titles.enums import DocumentStatus, InfoRequestReason
from titles.models import Application, ApplicationEvent, GeneratedDocument, UploadedDocument, normalise_public_code
from titles.permissions import CERT_AGENTS, member_required
from titles.registry import registry
from titles.uploads import file_response
from titles.workflow import FINAL_STATUSES, Actor, InvalidTransition, Status, available_transitions
from titles.www.backoffice.forms import (
    TRANSITION_FORMS,
    AgentMessageForm,
    AnnotationForm,
    BulkActionForm,
    QueueFilterForm,
)

PER_PAGE = 50
# The queue's position in its URL (core/pagination.py).
CURSOR = "curseur"
# DSFR badge of each status, as the agent reads it (the citizen's wording is in titles.presentation).
STATUS_TONES = {
    Status.SUBMITTED: "new",
    Status.IN_REVIEW: "info",
    Status.NEEDS_INFO: "warning",
    Status.ACCEPTED: "success",
    Status.PRODUCED: "success",
    Status.SENT: "success",
    Status.DELIVERED: "success",
    Status.REJECTED: "error",
    Status.WITHDRAWN: "",
}

SUCCESS = {
    "take": "Vous avez pris en charge le dossier {reference}.",
    "request_info": "La demande de complément est envoyée au demandeur du dossier {reference}.",
    "accept": "Le dossier {reference} est accepté.",
    "reject": "Le dossier {reference} est refusé ; le motif est communiqué au demandeur.",
    "produce": "Le titre du dossier {reference} est marqué fabriqué.",
    "send": "Le titre du dossier {reference} est marqué expédié.",
    "deliver": "Le titre du dossier {reference} est marqué remis.",
}


queue_access = member_required(CERT_AGENTS, denied=PermissionDenied)
file_access = member_required(CERT_AGENTS, denied=Http404)


def _files(request):
    return files_for_agent(request.user, request.organisations)


def _file(request, reference):
    """Return a file routed to one of the agent's CERTs, or 404.

    The file is fetched by its reference, then held to the agent's role (`titles.permissions.AGENT.check`, the
    per-file half of the queue's rule; tests/titles/test_permissions.py checks the two halves agree): the queue's
    query, an OR over every way to see a file, took PostgreSQL about 5 ms to plan for this one row.
    """
    application = get_object_or_404(
        Application.objects.select_related("applicant", "cert", "assigned_to"),
        reference=normalise_public_code(reference),
    )
    if not permissions.AGENT.check(application, request.user):
        raise Http404("Dossier introuvable")
    return application


def _queue_url(request):
    query = request.GET.urlencode()
    return reverse("backoffice:queue") + (f"?{query}" if query else "")


@queue_access
def queue(request):
    """The files of the agent's CERTs waiting for a decision, oldest first, filterable, paginated."""
    return _render_queue(request, BulkActionForm(files=_files(request)))


def _render_queue(request, bulk_form, status=200):
    now = timezone.now()
    filters = QueueFilterForm(request.GET or None, certs=request.organisations)
    if filters.is_bound and not filters.is_valid():
        status = 400
    files = (
        filters.apply(_files(request), user=request.user, now=now)
        .filter(submitted_at__isnull=False)
        .select_related("applicant", "cert", "assigned_to", "organisation")
    )
    # Oldest first, by keyset (core/pagination.py): the same cost on every page, and no row skipped or shown twice
    # when files arrive while the agent pages through.
    paginator = KeysetPaginator(files, keys=("submitted_at", "pk"), per_page=PER_PAGE)
    cursor_error = ""
    try:
        page = paginator.page(request.GET.get(CURSOR))
    except InvalidCursor as error:
        cursor_error, status = error.message, 400
        page = paginator.page(None)
    for application in page:
        application.age_days = (now - application.submitted_at).days if application.submitted_at else None
        application.tone = STATUS_TONES.get(application.status, "")
    _label_statuses(list(page))
    return render_form(
        request,
        "backoffice/queue.html",
        {
            "filters": filters,
            "page": page,
            "cursor_error": cursor_error,
            "bulk_form": bulk_form,
            "checked": set(bulk_form.data.getlist("dossiers")) if bulk_form.is_bound else set(),
            "certs": request.organisations,
            "breadcrumb_data": {"current": "Instruction"},
        },
        status=status,
    )


@queue_access
@require_POST
def bulk(request):
    """Take several files, or ask the same information of several: one apply_transition (and event) per file."""
    form = BulkActionForm(request.POST, files=_files(request))
    if not form.is_valid():
        return _render_queue(request, form, status=400)
    action = form.cleaned_data["action"]
    chosen = form.cleaned_data["dossiers"].order_by("submitted_at", "pk")
    done, refused = apply_to_each(chosen, action, actor=request.user, **form.transition_kwargs())
    label = BulkActionForm.ACTIONS[action]
    if done:
        references = ", ".join(application.reference for application in done)
        messages.success(request, f"{label} : fait pour {_count(done)} ({references}).")
    if refused:
        details = " ; ".join(f"{application.reference} : {reason}" for application, reason in refused)
        messages.error(request, f"{label} : impossible pour {_count(refused)}. {details}")
    return redirect(_queue_url(request))


def _label_statuses(applications):
    """Set `status_label` (and the badge's `tone`) on each file: the procedure's words for its state when the
    engine's status would mislead (a pré-demande « Déposé » that no mairie has received yet)."""
    by_code = {}
    for application in applications:
        application.status_label = application.get_status_display()
        by_code.setdefault(application.procedure_code, []).append(application)
    for code, files in by_code.items():
        if code not in registry:
            continue
        labels = registry.get(code).agent_status_labels(files)
        for application in files:
            if application.pk in labels:
                application.status_label, application.tone = labels[application.pk], "warning"


def _blocked_transitions(procedure, application, transitions):
    """Split `transitions` into those the procedure's guard allows now and the French reasons of those it
    refuses (the engine checks the guard again when the agent acts)."""
    allowed, reasons = [], []
    for transition in transitions:
        try:
            if procedure is not None:
                procedure.guard(application, transition, {Actor.AGENT})
        except InvalidTransition as refusal:
            reasons.append(refusal.reason)
        else:
            allowed.append(transition)
    return allowed, reasons


def _count(files):
    return f"{len(files)} dossier{'s' if len(files) > 1 else ''}"


@file_access
def file_detail(request, reference):
    """One file as the agent sees it: identity, filer, data, documents, full timeline, messages, notes, actions."""
    application = _file(request, reference)
    return render_form(request, "backoffice/file.html", _file_context(application))


def _file_context(application, **bound):
    procedure = registry.get(application.procedure_code) if application.procedure_code in registry else None
    document_labels = {d.kind: d.label for d in procedure.documents} if procedure else {}
    uploaded = list(application.documents.filter(message__isnull=True))
    for document in uploaded:
        document.label = document_labels.get(document.kind, document.kind)
    reasons = dict(InfoRequestReason.choices)
    events = list(
        ApplicationEvent.objects.filter(application=application).select_related("application", "actor", "organisation")
    )
    for event in events:
        event.reason_label = reasons.get(event.payload.get("reason_code"), "")
        event.role_label = Actor(event.actor_role).label if event.actor_role in Actor.values else event.actor_role
    actions = [t for t in available_transitions(application, {Actor.AGENT}) if t.name in TRANSITION_FORMS]
    actions, blocked = _blocked_transitions(procedure, application, actions)
    application.tone = STATUS_TONES.get(application.status, "")
    _label_statuses([application])
    return {
        "application": application,
        "tone": application.tone,
        "blocked": blocked,
        "lines": procedure.summary_lines(application) if procedure else [],
        "uploaded": uploaded,
        "generated": application.generated_documents.all(),
        "events": events,
        "messages_list": application.messages.select_related("author").prefetch_related("attachments"),
        "annotations": application.annotations.select_related("author"),
        "actions": [(t, bound.get(t.name) or TRANSITION_FORMS[t.name](prefix=t.name)) for t in actions],
        "annotation_form": bound.get("annotation") or AnnotationForm(prefix="annotation"),
        "message_form": bound.get("message") or AgentMessageForm(prefix="message"),
        "is_final": application.status in FINAL_STATUSES,
        "breadcrumb_data": {
            "links": [{"url": reverse("backoffice:queue"), "title": "Instruction"}],
            "current": f"Dossier {application.reference}",
        },
    }


def _file_with_errors(request, application, **bound):
    """Re-render the file's page with the bound form in error (what the agent typed is kept)."""
    return render_form(request, "backoffice/file.html", _file_context(application, **bound), status=400)


def _file_url(application, anchor=""):
    return reverse("backoffice:file", kwargs={"reference": application.reference}) + anchor


@file_access
@require_POST
def transition(request, reference, name):
    """Make one transition on a file (take, request_info, accept, reject, produce, send, deliver)."""
    if name not in TRANSITION_FORMS:
        raise Http404("Action inconnue")
    application = _file(request, reference)
    form = TRANSITION_FORMS[name](request.POST, prefix=name)
    if not form.is_valid():
        return _file_with_errors(request, application, **{name: form})
    try:
        services.apply_transition(application, name, actor=request.user, **form.transition_kwargs())
    except InvalidTransition as error:
        messages.error(request, error.reason)
    else:
        messages.success(request, SUCCESS[name].format(reference=application.reference))
    return redirect(_file_url(application))


@file_access
@require_POST
def annotate(request, reference):
    application = _file(request, reference)
    form = AnnotationForm(request.POST, prefix="annotation")
    if not form.is_valid():
        return _file_with_errors(request, application, annotation=form)
    try:
        add_annotation(application, author=request.user, body=form.cleaned_data["body"])
    except InvalidTransition as error:
        messages.error(request, error.reason)
    else:
        messages.success(request, "Votre note privée est enregistrée.")
    return redirect(_file_url(application, "#annotations"))


@file_access
@require_POST
def post_message(request, reference):
    application = _file(request, reference)
    form = AgentMessageForm(request.POST, request.FILES, prefix="message")
    if not form.is_valid():
        return _file_with_errors(request, application, message=form)
    files = [("message", form.cleaned_data["attachment"])] if form.cleaned_data.get("attachment") else []
    try:
        services.post_message(
            application, author=request.user, body=form.cleaned_data["body"], from_agent=True, files=files
        )
    except InvalidTransition as error:
        messages.error(request, error.reason)
    else:
        messages.success(request, "Votre message est envoyé au demandeur.")
    return redirect(_file_url(application, "#messages"))


@file_access
def uploaded_file(request, reference, pk):
    application = _file(request, reference)
    document = get_object_or_404(UploadedDocument, application=application, pk=pk)
    return file_response(document.file, document.original_name, document.content_type)


@file_access
def generated_file(request, reference, pk):
    application = _file(request, reference)
    document = get_object_or_404(GeneratedDocument, application=application, pk=pk, status=DocumentStatus.READY)
    return file_response(document.file, f"{document.kind}-{application.reference}.pdf", "application/pdf")
