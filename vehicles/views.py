"""The vehicle pages beyond the engine's wizard: « Mes véhicules » with the deadlines, starting a procedure for a
vehicle one holds, the seller's one-page declaration with the code shown once, the buyer's landing page from
the invitation, and the professional's operations."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.http import render_form
from titles import filing
from titles import services as titles_services
from titles.enums import DocumentStatus
from titles.models import Application, GeneratedDocument, Mandate, normalise_public_code
from titles.permissions import member_required
from titles.presentation import status_summary, wizard_steps
from titles.registry import registry
from titles.sealing import unseal
from titles.uploads import content_disposition
from titles.workflow import Actor, InvalidTransition
from vehicles import achat, selectors, services
from vehicles.enums import (
    CESSION,
    CHANGEMENT_ADRESSE,
    CHANGEMENT_ETAT_CIVIL,
    CHANGEMENT_TITULAIRE,
    COTITULAIRE,
    CSA_ON_DEMAND,
    DUPLICATA,
    PRO_AUTO,
    PROCEDURE_CODES,
)
from vehicles.formats import FormatError, display_code, parse_registration
from vehicles.forms import ProMandateForm
from vehicles.models import Cession, Holder, Vehicle
from vehicles.permissions import CAR_TRADE
from vehicles.procedures import ACCUSE_CESSION, SESSION_CODES

# What a holder may start from « Mes véhicules ».
HOLDER_PROCEDURES = (CESSION, CHANGEMENT_ADRESSE, DUPLICATA, CSA_ON_DEMAND, CHANGEMENT_ETAT_CIVIL, COTITULAIRE)


def _breadcrumb(current, *links):
    return {"links": [{"url": reverse("titles:dashboard"), "title": "Mon espace"}, *links], "current": current}


def _my_vehicles_link():
    return {"url": reverse("vehicles:my_vehicles"), "title": "Mes véhicules"}


@login_required
def my_vehicles(request):
    """The vehicles the user holds, the ones sold awaiting the buyer, the ones bought, and every deadline."""
    vehicles = Vehicle.objects.held_by(request.user).prefetch_related(
        Prefetch("holders", queryset=Holder.objects.current(), to_attr="current_holders"),
        Prefetch("cessions", queryset=Cession.objects.code_valid().select_related("application"),
                 to_attr="open_cessions"),
    )
    return render_form(request, "vehicles/my_vehicles.html", {
        "vehicles": vehicles,
        "to_buy": selectors.cessions_to_buy(request.user),
        "deadlines": selectors.deadlines(user=request.user),
        "procedures": {code.replace("-", "_"): registry.get(code) for code in PROCEDURE_CODES},
        "breadcrumb_data": _breadcrumb("Mes véhicules"),
    })


@login_required
@require_POST
def start_for_vehicle(request, pk, code):
    """Open a draft for a vehicle the user holds, with the plate and their name already filled in."""
    if code not in HOLDER_PROCEDURES:
        raise Http404("Démarche inconnue")
    vehicle = get_object_or_404(Vehicle.objects.held_by(request.user), pk=pk)
    application = services.start_for_vehicle(registry.get(code), vehicle, user=request.user)
    if code == CESSION:
        return redirect("vehicles:declare_cession", reference=application.reference)
    return redirect(wizard_steps(application)[0].url)


def _own_draft(request, reference, code):
    application = get_object_or_404(
        Application.objects.for_applicant_side(request.user).select_related("applicant", "organisation"),
        reference=normalise_public_code(reference), procedure_code=code,
    )
    roles = titles_services.actor_roles(application, request.user)
    if (Actor.FILER if application.organisation_id else Actor.APPLICANT) not in roles:
        raise Http404("Dossier non modifiable")
    return application


@login_required
@never_cache
def declare_cession(request, reference):
    """The seller's declaration on one page; on submission the code de cession is shown once, on the next page."""
    application = _own_draft(request, reference, CESSION)
    if not application.is_draft:
        return redirect("titles:detail", reference=application.reference)
    procedure = application.procedure

    def make_form(step):
        return step.form_class(data=request.POST or None, initial=application.data.get(step.slug, {}),
                               application=application, prefix=step.slug)

    forms = None
    if request.method == "POST":
        try:
            forms, outcome = filing.file_on_one_page(application, make_form, actor=request.user)
        except InvalidTransition as error:
            messages.error(request, error.reason)
        else:
            if outcome is not None:
                return redirect(procedure.after_submit_url(request, outcome))
    if forms is None:  # the page, or the submission refused: the forms as typed
        forms = [(step, make_form(step)) for step in procedure.steps]
    return render_form(request, "vehicles/declare_cession.html", {
        "application": application, "procedure": procedure, "forms": forms,
        "breadcrumb_data": _breadcrumb("Déclarer la cession", _my_vehicles_link()),
    }, status=400 if request.method == "POST" else 200)


def _declarant_role(request, application):
    """Return the capacity in which the user declared this cession (the seller, or the organisation filing for
    them), or None: only the declarant gets the code."""
    role = Actor.FILER if application.organisation_id else Actor.APPLICANT
    return role if role in titles_services.actor_roles(application, request.user) else None


def _declaration(request, reference):
    return get_object_or_404(
        Application.objects.for_applicant_side(request.user).select_related("cession__vehicle", "organisation"),
        reference=normalise_public_code(reference), procedure_code=CESSION,
    )


@login_required
@never_cache
def cession_code(request, reference):
    """Show the code de cession once (it waits sealed in the session, and the register keeps an HMAC only);
    afterwards, point to the declarant's copy of the accusé that prints it, to download once."""
    application = _declaration(request, reference)
    codes = request.session.get(SESSION_CODES, {})
    sealed = codes.pop(application.reference, None)
    request.session[SESSION_CODES] = codes
    code = unseal(sealed) if sealed else None
    cession = getattr(application, "cession", None)
    if cession is None:
        raise Http404("Cession non enregistrée")
    documents = list(application.generated_documents.all())
    accuse = next((d for d in documents if d.kind == ACCUSE_CESSION.kind), None)
    declarant = _declarant_role(request, application) is not None
    return render_form(request, "vehicles/cession_code.html", {
        "application": application, "cession": cession, "code": display_code(code) if code else "",
        "documents": documents, "declarant": declarant,
        "copy_pending": declarant and accuse is not None and accuse.status == DocumentStatus.PENDING,
        "copy_ready": declarant and accuse is not None and accuse.status == DocumentStatus.READY
        and bool(accuse.context.get("sealed_copy")),
        "breadcrumb_data": _breadcrumb("Code de cession", _my_vehicles_link()),
    })


@login_required
@never_cache
def seller_copy(request, reference):
    """The declarant's copy of the accusé, the one that prints the code de cession: delivered once, to them only
    (the accusé everyone else allowed on the file sees, the CERT's agents included, goes without the code)."""
    application = _declaration(request, reference)
    role = _declarant_role(request, application)
    if role is None:
        raise Http404("Exemplaire réservé au déclarant")
    document = get_object_or_404(GeneratedDocument, application=application, kind=ACCUSE_CESSION.kind,
                                 status=DocumentStatus.READY)
    content = titles_services.take_sealed_copy(document, actor=request.user, role=role)
    if content is None:
        messages.info(request, "Votre exemplaire de l'accusé avec le code de cession a déjà été téléchargé : il ne "
                               "l'est qu'une fois. Si le code est perdu, attendez sa fin de validité puis déclarez "
                               "à nouveau la cession pour en obtenir un nouveau.")
        return redirect("vehicles:cession_code", reference=application.reference)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition(f"accuse-cession-code-{application.reference}.pdf")
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def acquisition(request):
    """Where the buyer's invitation leads: open a changement de titulaire with the plate filled in."""
    raw = request.POST.get("immatriculation") or request.GET.get("immatriculation") or ""
    try:
        plate = parse_registration(raw).number if raw else ""
    except FormatError:
        plate = ""
    if request.method == "POST":
        application = services.start_acquisition(registry.get(CHANGEMENT_TITULAIRE), user=request.user,
                                                 registration_number=plate)
        return redirect(wizard_steps(application)[0].url)
    cessions = [c for c in selectors.cessions_to_buy(request.user)
                if not plate or c.vehicle.registration_number == plate]
    return render_form(request, "vehicles/acquisition.html", {
        "plate": plate, "cessions": cessions, "procedure": registry.get(CHANGEMENT_TITULAIRE),
        "breadcrumb_data": _breadcrumb("Acheter un véhicule d'occasion", _my_vehicles_link()),
    })


@member_required(CAR_TRADE)
def pro_operations(request):
    """A professional's operations for its clients and in its own name (its own organisation's only), the CPIs to
    print, the mandates it may file under, and its stock (the vehicles it declared it bought)."""
    organisations = request.organisations
    applications = Application.objects.for_applicant_side(request.user).filter(
        organisation__in=organisations, procedure_code__in=PROCEDURE_CODES,
    ).select_related("applicant", "organisation", "cert", "filed_by", "cession").prefetch_related(
        Prefetch("generated_documents", queryset=GeneratedDocument.objects.filter(status=DocumentStatus.READY),
                 to_attr="ready_documents"),
    ).order_by("-created_at")
    applications = list(applications)
    for application in applications:
        application.summary = status_summary(application)
    pro_codes = [code for code in PROCEDURE_CODES if PRO_AUTO in registry.get(code).filers]
    mandates = []
    for mandate in Mandate.objects.valid().filter(organisation__in=organisations).select_related(
            "citizen", "organisation").order_by("citizen__family_name"):
        mandate.filings = [
            {"label": registry.get(code).label, "url": f"{reverse('titles:start', kwargs={'code': code})}"
                                                      f"?mandat={mandate.pk}"}
            for code in pro_codes if code in mandate.procedures
        ]
        mandates.append(mandate)
    return render_form(request, "vehicles/pro.html", {
        "organisations": organisations,
        "habilitated": [organisation for organisation in organisations if organisation.is_validated],
        "applications": applications,
        "mandates": mandates,
        "stock": achat.stock_of(organisations),
        "breadcrumb_data": {"current": "Opérations du professionnel"},
    })


@member_required(CAR_TRADE)
def request_mandate(request):
    """Ask a client for a mandate (cerfa 13757 in its electronic form): the client confirms it on the web."""
    organisations = [organisation for organisation in request.organisations if organisation.is_validated]
    chosen = request.POST.get("organisation") or request.GET.get("organisation")
    organisation = next((o for o in organisations if str(o.pk) == chosen), organisations[0] if organisations else None)
    form = ProMandateForm(request.POST or None, procedures=services.mandate_procedures())
    if organisation is None:
        form.add_error(None, "L'habilitation de votre entreprise n'est pas encore validée par la préfecture : vous ne "
                             "pouvez pas encore demander de mandat.")
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.request_mandate(organisation, staff=request.user, email=data["email"],
                                     given_names=data["given_names"], family_name=data["family_name"],
                                     procedures=data["procedures"], months=data["months"])
        except services.MandateRequestRefused as refusal:
            form.add_error(None, refusal.reason)
        else:
            messages.success(request, f"Un courriel est envoyé à {data['email']} : le mandat prend effet dès que "
                                      "votre client le confirme.")
            return redirect("vehicles:pro")
    return render_form(request, "vehicles/pro_mandate.html", {
        "form": form, "organisations": organisations, "organisation": organisation,
        "breadcrumb_data": {"links": [{"url": reverse("vehicles:pro"), "title": "Opérations du professionnel"}],
                            "current": "Demander un mandat"},
    }, status=400 if request.method == "POST" and form.errors else 200)
