"""The citizen (and filer) side of the engine: start, steps, documents, payment, recap, tracking, messages.

Every view: fetch through a permission-scoped queryset (404 otherwise), validate a form, call one service,
map InvalidTransition to a message.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.exceptions import Refused
from core.http import max_body_bytes
from titles import page_cache, services
from titles.enums import DocumentStatus, Filer
from titles.forms import AnswerForm, DocumentsForm, EligibilityForm, MessageForm, TimbreForm, VerifyForm, WithdrawForm
from titles.models import (
    Application,
    ApplicationEvent,
    AssistedSession,
    GeneratedDocument,
    Mandate,
    UploadedDocument,
    normalise_public_code,
)
from titles.payments import get_issuer
from titles.presentation import status_summary, wizard_steps
from titles.registry import registry
from titles.uploads import file_response
from titles.workflow import APPLICANT_SIDE, FINAL_STATUSES, Actor, InvalidTransition, Status, available_transitions


def _procedure_or_404(code):
    if code not in registry:
        raise Http404("Démarche inconnue")
    return registry.get(code)


def _application(request, reference, *, editable=False, fingerprinted=False):
    """Return the application the user may see on the applicant side, or 404 (never 403: no existence leak).

    The file is fetched by its reference, then `actor_roles` decides: the applicant, the organisation filing
    under a valid mandate, or the médiateur of an active session. The roles are kept on the object for the view.
    """
    # Only the centre is joined: each more join costs PostgreSQL about 0.2 ms of planning on every page, and the
    # organisation, mandate and filer are empty on most files (an empty foreign key costs no query).
    queryset = Application.objects.select_related("cert")
    if fingerprinted:  # the file's page: what its cached fragment is made of comes with the row
        queryset = page_cache.with_fingerprint(queryset)
    application = get_object_or_404(queryset, reference=normalise_public_code(reference))
    if application.applicant_id == request.user.pk:
        application.applicant = request.user  # the usual case: the applicant reads their own file
    application.roles = services.actor_roles(application, request.user) & APPLICANT_SIDE
    if not application.roles or (editable and not _can_edit(request.user, application)):
        raise Http404("Dossier introuvable")
    return application


def _can_edit(user, application):
    roles = getattr(application, "roles", None)
    if roles is None:
        roles = services.actor_roles(application, user)
    if application.organisation_id:
        return Actor.FILER in roles
    return bool(roles & {Actor.APPLICANT, Actor.MEDIATEUR})


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
    return render(
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
        return render(request, "titles/assisted_session_end.html", {"session": None}, status=404)
    ended_now = False
    if request.method == "POST" and session.ended_at is None:
        session = services.end_assisted_session(session, by=session.citizen)
        ended_now = True
    return render(
        request,
        "titles/assisted_session_end.html",
        {
            "session": session,
            "ended_now": ended_now,
            "still_open": session.ended_at is None and session.expires_at > timezone.now(),
        },
    )


def start(request, code):
    """Describe a procedure, ask its eligibility questions, then open a draft."""
    procedure = _procedure_or_404(code)
    mandate = session = None
    if request.GET.get("mandat") or request.POST.get("mandat"):
        try:
            mandate = _filing_mandate(request, procedure, request.GET.get("mandat") or request.POST.get("mandat"))
        except Refused as refusal:
            messages.error(request, refusal.reason)
            return redirect("titles:dashboard")
    elif request.GET.get("seance") or request.POST.get("seance"):
        session = _assisting_session(request, procedure, request.GET.get("seance") or request.POST.get("seance"))
    form = EligibilityForm(request.POST if request.method == "POST" else None, questions=procedure.eligibility)
    context = {
        "procedure": procedure,
        "form": form,
        "mandate": mandate,
        "breadcrumb_data": {"current": procedure.label},
    }
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"{reverse('accounts:login')}?next={request.path}")
        if form.is_valid():
            outcome, value = form.outcome()
            if outcome == "redirect":
                return redirect("titles:start", code=value)
            if outcome == "unsupported":
                return render(request, "titles/unsupported.html", {**context, "explanation": value})
            if mandate is None and Filer.CITIZEN not in procedure.filers:
                messages.error(request, "Cette démarche se fait uniquement par un professionnel mandaté.")
                return render(request, "titles/start.html", context)
            application = services.create_draft(
                procedure,
                applicant=mandate.citizen if mandate else (session.citizen if session else request.user),
                filed_by=request.user,
                organisation=mandate.organisation if mandate else None,
                mandate=mandate,
                assisted_by=request.user if session else None,
            )
            return redirect(wizard_steps(application)[0].url)
    return render(request, "titles/start.html", context)


def _assisting_session(request, procedure, session_id):
    """Return the médiateur's active session for this start page, or 404."""
    if not request.user.is_authenticated or not str(session_id).isdigit() or not request.user.is_verified():
        raise Http404("Séance introuvable")
    if Filer.MEDIATEUR not in procedure.filers:
        raise Http404("Cette démarche ne se fait pas avec un médiateur")
    return get_object_or_404(
        AssistedSession.objects.active().select_related("citizen"), pk=session_id, mediateur=request.user
    )


def _filing_mandate(request, procedure, mandate_id):
    """Return a mandate the signed-in organisation member may file under for this procedure, or 404."""
    if not request.user.is_authenticated or not str(mandate_id).isdigit():
        raise Http404("Mandat introuvable")
    mandate = get_object_or_404(
        Mandate.objects.valid()
        .select_related("organisation", "citizen")
        .filter(
            organisation__memberships__user=request.user,
            organisation__memberships__is_active=True,
            organisation__validated_at__isnull=False,
            organisation__is_active=True,
        ),
        pk=mandate_id,
    )
    if procedure.code not in mandate.procedures or mandate.organisation.kind not in procedure.filers:
        raise Http404("Ce mandat ne couvre pas cette démarche")
    if not request.user.is_verified():
        raise Http404("Second facteur requis")
    refused = procedure.refuse_mandate(mandate)
    if refused:
        raise Refused("mandate", refused)
    return mandate


@login_required
def step(request, reference, slug):
    application = _application(request, reference, editable=True)
    if not application.is_draft:
        return redirect("titles:detail", reference=application.reference)
    procedure = application.procedure
    steps = wizard_steps(application)
    current = next((s for s in steps if s.slug == slug), None)
    if current is None or current.kind != "form":
        raise Http404("Étape inconnue")
    form_step = next(s for s in procedure.steps if s.slug == slug)
    form = procedure.get_step_form(form_step, application, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.save_step(application, slug, form.cleaned_data, actor=request.user)
        if "enregistrer" in request.POST:
            messages.success(
                request,
                "Votre brouillon est enregistré : vous pouvez le reprendre plus tard, depuis n'importe quel appareil.",
            )
            return redirect("titles:dashboard")
        return redirect(current.next_url or steps[-1].url)
    return render(request, "titles/step.html", _wizard_context(application, steps, current, form=form))


def _wizard_context(application, steps, current, **extra):
    index = steps.index(current)
    return {
        "application": application,
        "procedure": application.procedure,
        "steps": steps,
        "current": current,
        "step_number": index + 1,
        "total_steps": len(steps),
        "next_step": steps[index + 1] if index + 1 < len(steps) else None,
        "previous_step": steps[index - 1] if index > 0 else None,
        "breadcrumb_data": {
            "links": [{"url": reverse("titles:dashboard"), "title": "Mon espace"}],
            "current": application.procedure.label,
        },
        **extra,
    }


def _wizard_step_or_404(steps, kind):
    """The wizard's step of this kind, or 404 for a procedure that has none (no documents, no fee)."""
    current = next((s for s in steps if s.kind == kind), None)
    if current is None:
        raise Http404("Cette démarche ne comporte pas cette étape")
    return current


def _documents_max_body_bytes():
    """The largest documents step: every file of a procedure at its limit, sent at once, plus the form."""
    largest = max((sum(d.rules.max_bytes for d in p.documents) for p in registry.all()), default=0)
    return max(largest + 1024 * 1024, settings.REQUEST_BODY_MAX_BYTES)


@max_body_bytes(_documents_max_body_bytes)
@login_required
def documents(request, reference):
    application = _application(request, reference, editable=True)
    if not application.is_draft:
        return redirect("titles:detail", reference=application.reference)
    procedure = application.procedure
    steps = wizard_steps(application)
    current = _wizard_step_or_404(steps, "documents")
    given = set(application.documents.filter(message__isnull=True).values_list("kind", flat=True))
    form = DocumentsForm(
        request.POST or None, request.FILES or None, documents=procedure.documents, already_given=given
    )
    if request.method == "POST" and form.is_valid():
        for document in procedure.documents:
            clean_file = form.cleaned_data.get(document.kind)
            if clean_file is not None:
                services.add_document(application, kind=document.kind, clean_file=clean_file, uploaded_by=request.user)
        return redirect(current.next_url)
    status = 400 if request.method == "POST" else 200
    uploaded = application.documents.filter(message__isnull=True)
    return render(
        request,
        "titles/documents.html",
        _wizard_context(application, steps, current, form=form, uploaded=uploaded),
        status=status,
    )


@login_required
def payment(request, reference):
    """Pay the timbre fiscal: enter a timbre's number, or buy one in the (simulated) checkout."""
    application = _application(request, reference, editable=True)
    if not application.is_draft:
        return redirect("titles:detail", reference=application.reference)
    procedure = application.procedure
    steps = wizard_steps(application)
    current = _wizard_step_or_404(steps, "payment")
    lines = procedure.fee_lines(application)
    total = procedure.fee_total(application)
    form = TimbreForm(request.POST or None)
    if request.method == "POST" and "acheter" in request.POST:
        number = get_issuer().buy(amount_cents=total, buyer=request.user)
        messages.success(
            request,
            f"Paiement accepté. Votre timbre fiscal n° {number} a été acheté : il est "
            "reporté ci-dessous, validez pour l'utiliser.",
        )
        form = TimbreForm(initial={"timbre_number": number})
    elif request.method == "POST" and form.is_valid():
        number = form.cleaned_data["timbre_number"]
        check = get_issuer().check(number, amount_cents=total)
        if not check.ok:
            form.add_error("timbre_number", check.message)
        else:
            try:
                services.record_payment(
                    application,
                    timbre_number=number,
                    amount_cents=check.amount_cents,
                    issuer=get_issuer().name,
                    actor=request.user,
                )
            except IntegrityError:
                form.add_error("timbre_number", "Ce timbre fiscal a déjà été utilisé pour une autre démarche.")
            else:
                messages.success(request, "Le timbre fiscal est enregistré.")
                return redirect(current.next_url)
    return render(
        request,
        "titles/payment.html",
        _wizard_context(
            application, steps, current, form=form, lines=lines, total_cents=total, paid=services.is_paid(application)
        ),
        status=400 if request.method == "POST" and form.errors else 200,
    )


@login_required
def recap(request, reference):
    application = _application(request, reference, editable=True)
    if not application.is_draft:
        return redirect("titles:detail", reference=application.reference)
    procedure = application.procedure
    steps = wizard_steps(application)
    current = steps[-1]
    problems = services.missing_for_submission(application)
    if request.method == "POST" and not problems:
        try:
            outcome = services.apply_transition(application, "submit", actor=request.user)
        except InvalidTransition as error:
            messages.error(request, error.reason)
        else:
            messages.success(
                request,
                "Votre demande est déposée. Un courriel de confirmation vous est envoyé, et "
                "le récépissé de dépôt sera disponible ici dans quelques instants.",
            )
            return redirect(
                procedure.after_submit_url(request, outcome)
                or reverse("titles:detail", kwargs={"reference": application.reference})
            )
    return render(
        request,
        "titles/recap.html",
        _wizard_context(
            application,
            steps,
            current,
            problems=problems,
            lines=procedure.summary_lines(application),
            uploaded=application.documents.filter(message__isnull=True),
            fee_lines=procedure.fee_lines(application),
        ),
    )


def _detail_context(request, application, message_form=None, answer_form=None):
    """The file page's context. What only the cached fragment uses (timeline, documents, messages, empty forms) is
    given as callables: the template calls them when it renders the fragment, not when it is served from the cache.
    ``message_form`` / ``answer_form`` are bound forms sent back with their errors."""
    roles = application.roles
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
        "messages_list": lambda: application.messages.select_related("author").prefetch_related("attachments"),
        "can_edit": _can_edit(request.user, application),
        "can_withdraw": any(t.name == "withdraw" for t in available_transitions(application, roles)),
        "message_form": message_form,
        "empty_message_form": MessageForm,
        "answer_form": answer_form,
        "show_answer_form": answer_form is not None or application.status == Status.NEEDS_INFO,
        "empty_answer_form": AnswerForm,
        "breadcrumb_data": {
            "links": [{"url": reverse("titles:dashboard"), "title": "Mon espace"}],
            "current": f"Dossier {application.reference}",
        },
    }


@login_required
def detail(request, reference):
    """One file: its status and what is expected, timeline, documents, messages."""
    application = _application(request, reference, fingerprinted=True)
    return render(request, "titles/detail.html", _detail_context(request, application))


@login_required
@require_POST
def answer(request, reference):
    application = _application(request, reference, editable=True, fingerprinted=True)
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
    application = _application(request, reference, editable=True, fingerprinted=True)
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
    return render(request, "titles/detail.html", _detail_context(request, application, **forms), status=400)


@login_required
def withdraw(request, reference):
    application = _application(request, reference)
    if Actor.APPLICANT not in application.roles:
        raise Http404("Seul le demandeur peut retirer sa demande")
    if application.is_draft:
        if request.method == "POST":
            services.delete_draft(application)
            messages.success(request, "Le brouillon est supprimé.")
            return redirect("titles:dashboard")
        return render(request, "titles/withdraw.html", {"application": application, "form": WithdrawForm()})
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.apply_transition(application, "withdraw", actor=request.user, reason="Retrait par le demandeur")
        except InvalidTransition as error:
            messages.error(request, error.reason)
        else:
            messages.success(request, "Votre demande est retirée.")
        return redirect("titles:detail", reference=application.reference)
    return render(request, "titles/withdraw.html", {"application": application, "form": form})


@login_required
def uploaded_file(request, reference, pk):
    application = _application(request, reference)
    document = get_object_or_404(UploadedDocument, application=application, pk=pk)
    return file_response(document.file, document.original_name, document.content_type)


@login_required
def generated_file(request, reference, pk):
    application = _application(request, reference)
    document = get_object_or_404(GeneratedDocument, application=application, pk=pk, status=DocumentStatus.READY)
    return file_response(document.file, f"{document.kind}-{application.reference}.pdf", "application/pdf")


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
    return render(request, "titles/mandates.html", {"mandates": items, "breadcrumb_data": {"current": "Mes mandats"}})


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
    if request.method == "POST" and mandate.is_pending:
        services.confirm_mandate(mandate, by=request.user)
        messages.success(request, f"Vous avez donné mandat à {mandate.organisation.name}.")
        return redirect("titles:mandates")
    labels = [registry.get(code).label for code in mandate.procedures if code in registry]
    return render(request, "titles/mandate_confirm.html", {"mandate": mandate, "labels": labels})
