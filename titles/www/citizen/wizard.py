"""The wizard: a procedure's start page (eligibility, then a draft), its steps, the documents, the timbre fiscal and
the recap with the submission; or, for a procedure paid by card, the recap then « Paiement et dépôt »."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse

from core.http import max_body_bytes, render_form
from titles import cards, filing, payments, services
from titles.enums import PaymentMethod
from titles.forms import CardForm, DocumentsForm, EligibilityForm, TimbreForm
from titles.presentation import wizard_steps
from titles.registry import registry
from titles.workflow import InvalidTransition
from titles.www.citizen.access import (
    acting_for,
    acting_in_session,
    acting_under_mandate,
    applicant_side_file,
    procedure_or_404,
    space_link,
)


@dataclass(frozen=True)
class MissingItem:
    message: str
    url: str | None  # the step that fixes it; None when no step of the wizard can
    step_label: str = ""


def missing_with_links(application, steps=None):
    """Return what blocks the draft's submission, each item with the URL of the step that fixes it."""
    by_slug = {step.slug: step for step in steps or wizard_steps(application)}
    items = []
    for missing in services.missing_for_submission(application):
        step = by_slug.get(missing.step)
        items.append(MissingItem(str(missing), step.url if step else None, step.label if step else ""))
    return items


def resume_url(application):
    """Return where « Reprendre ma demande » leads: the first step that is still incomplete, else the recap."""
    steps = wizard_steps(application)
    first = next((item.url for item in missing_with_links(application, steps) if item.url), None)
    return first or steps[-1].url



def start(request, code):
    """Describe a procedure, ask its eligibility questions, then open a draft (for oneself, under a mandate with
    `?mandat=<id>`, or for the citizen of an assisted session with `?seance=<id>`)."""
    procedure = procedure_or_404(code)
    try:
        capacity = filing.filing_capacity(
            request.user,
            procedure,
            mandate_id=request.GET.get("mandat") or request.POST.get("mandat"),
            session_id=request.GET.get("seance") or request.POST.get("seance"),
        )
    except filing.FilingRefused as refusal:
        if refusal.code == filing.NOT_FOUND:
            raise Http404(refusal.reason) from None
        messages.error(request, refusal.reason)
        return redirect("titles:dashboard")
    form = EligibilityForm(request.POST if request.method == "POST" else None, questions=procedure.eligibility)
    acting = (
        acting_in_session(capacity.session)
        if capacity.session
        else acting_under_mandate(request.user, capacity.mandate)
        if capacity.mandate
        else None
    )
    context = {
        "procedure": procedure,
        "form": form,
        "mandate": capacity.mandate,
        "session": capacity.session,
        "acting_for": acting,
        "breadcrumb_data": {"links": [space_link(acting)] if acting else [], "current": procedure.label},
    }
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"{reverse('accounts:login')}?next={request.path}")
        if form.is_valid():
            outcome, value = form.outcome()
            if outcome == "redirect":
                return redirect("titles:start", code=value)
            if outcome == "unsupported":
                return render_form(request, "titles/unsupported.html", {**context, "explanation": value})
            try:
                application = filing.start_draft(procedure, user=request.user, capacity=capacity)
            except filing.FilingRefused as refusal:
                messages.error(request, refusal.reason)
                return render_form(request, "titles/start.html", context, status=403)
            return redirect(wizard_steps(application)[0].url)
    return render_form(request, "titles/start.html", context)


@login_required
def step(request, reference, slug):
    application = applicant_side_file(request, reference, editable=True)
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
    return render_form(request, "titles/step.html", _wizard_context(request, application, steps, current, form=form))


@login_required
def resume(request, reference):
    """« Reprendre ma demande »: the first step still incomplete (the recap once everything is given)."""
    application = applicant_side_file(request, reference, editable=True)
    if not application.is_draft:
        return redirect("titles:detail", reference=application.reference)
    return redirect(resume_url(application))


def _wizard_context(request, application, steps, current, **extra):
    index = steps.index(current)
    acting = acting_for(request.user, application)
    return {
        "application": application,
        "procedure": application.procedure,
        "steps": steps,
        "current": current,
        "step_number": index + 1,
        "total_steps": len(steps),
        "next_step": steps[index + 1] if index + 1 < len(steps) else None,
        "previous_step": steps[index - 1] if index > 0 else None,
        "acting_for": acting,
        "breadcrumb_data": {"links": [space_link(acting)], "current": application.procedure.label},
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
    application = applicant_side_file(request, reference, editable=True)
    if not application.is_draft:
        return redirect("titles:detail", reference=application.reference)
    procedure = application.procedure
    steps = wizard_steps(application)
    current = _wizard_step_or_404(steps, "documents")
    given = set(application.documents.filter(message__isnull=True).values_list("kind", flat=True))
    asked = procedure.documents_for(application)
    form = DocumentsForm(request.POST or None, request.FILES or None, documents=asked, already_given=given)
    if request.method == "POST" and form.is_valid():
        for document in asked:
            clean_file = form.cleaned_data.get(document.kind)
            if clean_file is not None:
                services.add_document(application, kind=document.kind, clean_file=clean_file, uploaded_by=request.user)
        return redirect(current.next_url)
    status = 400 if request.method == "POST" else 200
    uploaded = application.documents.filter(message__isnull=True)
    return render_form(
        request,
        "titles/documents.html",
        _wizard_context(request, application, steps, current, form=form, uploaded=uploaded),
        status=status,
    )


@login_required
def payment(request, reference):
    """Pay the timbre fiscal: enter a timbre's number, or buy one in the (simulated) checkout."""
    application = applicant_side_file(request, reference, editable=True)
    if not application.is_draft:
        return redirect("titles:detail", reference=application.reference)
    procedure = application.procedure
    steps = wizard_steps(application)
    current = _wizard_step_or_404(steps, "payment")
    if procedure.payment == PaymentMethod.CARD:
        return _card_payment(request, application, steps, current)
    lines = procedure.fee_lines(application)
    total = procedure.fee_total(application)
    paid = services.is_paid(application)
    if request.method == "POST" and paid:  # a second click, a reloaded form: nothing more is bought
        messages.info(request, "Le timbre fiscal de cette démarche est déjà payé : rien d'autre n'a été débité.")
        return redirect(current.next_url)
    form = TimbreForm(request.POST if request.method == "POST" and "acheter" not in request.POST else None)
    if request.method == "POST" and "acheter" in request.POST:
        try:
            payment = payments.buy_and_pay(application, actor=request.user)
        except InvalidTransition as refusal:
            messages.error(request, refusal.reason)
            return redirect("titles:detail", reference=application.reference)
        messages.success(
            request,
            f"Paiement accepté : le timbre fiscal n° {payment.timbre_number} paie cette démarche. "
            "Il est aussi dans le récapitulatif de votre demande.",
        )
        return redirect(current.next_url)
    if request.method == "POST" and form.is_valid():
        try:
            payments.pay_with_timbre(application, form.cleaned_data["timbre_number"], actor=request.user)
        except (payments.PaymentRefused, InvalidTransition) as refusal:
            if refusal.code == "paid":  # paid meanwhile (another tab): the typed timbre stays unused
                messages.info(request, refusal.reason)
                return redirect(current.next_url)
            form.add_error("timbre_number", refusal.reason)
        else:
            messages.success(request, "Le timbre fiscal est enregistré.")
            return redirect(current.next_url)
    return render_form(
        request,
        "titles/payment.html",
        _wizard_context(
            request,
            application, steps, current, form=form, lines=lines, total_cents=total, paid=paid
        ),
        status=400 if request.method == "POST" and form.errors else 200,
    )


def _card_payment(request, application, steps, current):
    """« Paiement et dépôt »: the fee lines and the card form; paying submits the file, in one act (the provider is
    behind CARD_PAYMENT_PROVIDER). A declined card answers 402 with the form as typed, but never the card's number
    or CVC; nothing is charged, the draft stays a draft."""
    procedure = application.procedure
    problems = [item for item in missing_with_links(application, steps) if item.url != current.url]
    form = CardForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and problems:
        messages.error(request, "Votre demande n'est pas encore complète : complétez-la avant de payer.")
        return redirect(next(step.url for step in steps if step.kind == "recap"))
    if request.method == "POST" and not form.is_valid():
        status = 400
    elif request.method == "POST":
        try:
            result = cards.pay_by_card_and_submit(application, actor=request.user, card=form.card())
        except cards.CardDeclined as declined:
            form.add_error(None, declined.reason)
            status = 402
        except InvalidTransition as refusal:
            form.add_error(None, refusal.reason)
            status = 409
        else:
            if result.submitted is None:  # a second click: the first one paid and submitted
                messages.info(request, "Cette demande est déjà payée et déposée : rien d'autre n'a été débité.")
                return redirect("titles:detail", reference=application.reference)
            messages.success(
                request,
                f"Paiement accepté ({result.payment.means}). Votre demande est déposée : un courriel de "
                "confirmation vous est envoyé, et le récépissé de dépôt sera disponible ici dans quelques instants.",
            )
            return redirect(
                procedure.after_submit_url(request, result.submitted)
                or reverse("titles:detail", kwargs={"reference": application.reference})
            )
    return render_form(
        request,
        "titles/card_payment.html",
        _wizard_context(
            request, application, steps, current, form=form, problems=problems,
            lines=procedure.fee_lines(application), total_cents=procedure.fee_total(application),
        ),
        status=status,
    )


@login_required
def recap(request, reference):
    application = applicant_side_file(request, reference, editable=True)
    if not application.is_draft:
        return redirect("titles:detail", reference=application.reference)
    procedure = application.procedure
    steps = wizard_steps(application)
    current = next(step for step in steps if step.kind == "recap")
    problems = missing_with_links(application, steps)
    # Paid by card: the recap comes before « Paiement et dépôt », which submits; the payment is not missing yet.
    payment_step = current.next_url and steps[-1]
    if payment_step:
        problems = [item for item in problems if item.url != payment_step.url]
    if request.method == "POST" and payment_step and not problems:
        return redirect(payment_step.url)
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
    return render_form(
        request,
        "titles/recap.html",
        _wizard_context(
            request,
            application,
            steps,
            current,
            problems=problems,
            lines=procedure.summary_lines(application),
            uploaded=application.documents.filter(message__isnull=True),
            fee_lines=procedure.fee_lines(application),
            payment_step=payment_step,
        ),
    )
