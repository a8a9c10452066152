"""One file on the applicant side: its page (status, timeline, documents, messages), the answer to a request for
information, a message, the withdrawal, and the downloads."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.http import render_form
from titles import page_cache, services
from titles.enums import DocumentStatus, PaymentMethod, PaymentStatus
from titles.forms import AnswerForm, MessageForm, WithdrawForm
from titles.models import ApplicationEvent, GeneratedDocument, UploadedDocument
from titles.presentation import status_summary
from titles.registry import registry
from titles.uploads import file_response
from titles.workflow import Actor, InvalidTransition, Status, available_transitions
from titles.www.citizen.access import acting_for, applicant_side_file, can_edit, space_link


def _detail_context(request, application, message_form=None, answer_form=None):
    """The file page's context. What only the cached fragment uses (timeline, documents, messages, empty forms) is
    given as callables: the template calls them when it renders the fragment, not when it is served from the cache.
    ``message_form`` / ``answer_form`` are bound forms sent back with their errors."""
    roles = application.roles
    acting = acting_for(request.user, application)
    procedure = registry.get(application.procedure_code) if application.procedure_code in registry else None
    return {
        "application": application,
        "procedure_panel": procedure.detail_panel(application, request.user) if procedure else None,
        "summary": status_summary(application),
        "fingerprint": page_cache.fingerprint(application),
        "fragment_ttl": page_cache.FRAGMENT_TTL,
        "events": lambda: ApplicationEvent.objects.filter(application=application, public=True).select_related(
            "application", "actor", "organisation"
        ),
        "uploaded": lambda: application.documents.filter(message__isnull=True),
        "generated": lambda: application.generated_documents.all(),
        "payments": lambda: application.payments.all(),
        "messages_list": lambda: application.messages.select_related("author").prefetch_related("attachments"),
        "can_edit": can_edit(request.user, application),
        "can_withdraw": _may_withdraw(application, procedure, roles),
        "message_form": message_form,
        "empty_message_form": MessageForm,
        "answer_form": answer_form,
        "show_answer_form": answer_form is not None or application.status == Status.NEEDS_INFO,
        "empty_answer_form": AnswerForm,
        "acting_for": acting,
        "breadcrumb_data": {"links": [space_link(acting)], "current": f"Dossier {application.reference}"},
    }


def _may_withdraw(application, procedure, roles):
    """Whether the table allows the withdrawal and the procedure's guard does not refuse it (a cession the buyer
    has already taken up)."""
    withdraw = next((t for t in available_transitions(application, roles) if t.name == "withdraw"), None)
    if withdraw is None:
        return False
    try:
        if procedure is not None:
            procedure.guard(application, withdraw, roles)
    except InvalidTransition:
        return False
    return True


@login_required
def detail(request, reference):
    """One file: its status and what is expected, timeline, documents, messages."""
    application = applicant_side_file(request, reference, fingerprinted=True)
    return page_cache.cached_page(
        request, application,
        lambda: render_form(request, "titles/detail.html", _detail_context(request, application)))


@login_required
@require_POST
def answer(request, reference):
    application = applicant_side_file(request, reference, editable=True, fingerprinted=True)
    form = AnswerForm(request.POST, request.FILES)
    if form.is_valid():
        files = [("complement", form.cleaned_data["attachment"])] if form.cleaned_data.get("attachment") else []
        try:
            services.answer_information_request(
                application, actor=request.user, body=form.cleaned_data["body"], files=files
            )
        except InvalidTransition as error:
            messages.error(request, error.reason)
        else:
            messages.success(request, "Votre réponse est envoyée : votre dossier retourne en instruction.")
            return redirect("titles:detail", reference=application.reference)
    return _detail_with_form(request, application, answer_form=form)


@login_required
@require_POST
def post_message(request, reference):
    application = applicant_side_file(request, reference, editable=True, fingerprinted=True)
    form = MessageForm(request.POST, request.FILES)
    if form.is_valid():
        files = [("message", form.cleaned_data["attachment"])] if form.cleaned_data.get("attachment") else []
        try:
            services.post_message(
                application, author=request.user, body=form.cleaned_data["body"], from_agent=False, files=files
            )
        except InvalidTransition as error:
            messages.error(request, error.reason)
        else:
            messages.success(request, "Votre message est envoyé.")
            return redirect(f"{reverse('titles:detail', kwargs={'reference': application.reference})}#messages")
    return _detail_with_form(request, application, message_form=form)


def _detail_with_form(request, application, **forms):
    """Re-render the file's page with the bound form, so what the user typed is kept and errors show."""
    return render_form(request, "titles/detail.html", _detail_context(request, application, **forms), status=400)


@login_required
def withdraw(request, reference):
    application = applicant_side_file(request, reference)
    if Actor.APPLICANT not in application.roles:
        raise Http404("Seul le demandeur peut retirer sa demande")
    if application.is_draft:
        if request.method == "POST":
            services.delete_draft(application)
            messages.success(request, "Le brouillon est supprimé.")
            return redirect("titles:dashboard")
        return render_form(request, "titles/withdraw.html", {"application": application, "form": WithdrawForm()})
    # A refund is promised only for what was paid: a timbre on a file not yet instructed (refund_timbres), a card
    # payment on any way out (refund_card_payments).
    paid = application.payments.filter(status=PaymentStatus.PAID)
    card = paid.filter(method=PaymentMethod.CARD).first()
    refund = card or (application.status == Status.SUBMITTED and paid.exists())
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.apply_transition(application, "withdraw", actor=request.user, reason="Retrait par le demandeur")
        except InvalidTransition as error:
            messages.error(request, error.reason)
        else:
            messages.success(request, "Votre demande est retirée.")
        return redirect("titles:detail", reference=application.reference)
    return render_form(request, "titles/withdraw.html",
                  {"application": application, "form": form, "refund": refund, "card": card})


@login_required
def uploaded_file(request, reference, pk):
    application = applicant_side_file(request, reference)
    document = get_object_or_404(UploadedDocument, application=application, pk=pk)
    return file_response(document.file, document.original_name, document.content_type)


@login_required
def generated_file(request, reference, pk):
    application = applicant_side_file(request, reference)
    document = get_object_or_404(GeneratedDocument, application=application, pk=pk, status=DocumentStatus.READY)
    return file_response(document.file, f"{document.kind}-{application.reference}.pdf", "application/pdf")
