"""The organisation manager's pages of API keys (list, create — the key shown once —, revoke) and of webhooks
(endpoints, their secret shown once, the delivery log, « Rejouer »), behind the second factor."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.enums import Role
from api import services, webhooks
from api.enums import KEY_LABELS, DeliveryStatus
from api.forms import NewEndpointForm, NewKeyForm
from api.models import ApiKey, WebhookDelivery, WebhookEndpoint
from core.http import render_form
from titles.permissions import Staff, member_required

MANAGERS = Staff(kinds=tuple(KEY_LABELS), roles=(Role.MANAGER,),
                 refusal="Réservé aux responsables des écoles de conduite et des professionnels de l'automobile.")
manager_required = member_required(MANAGERS)


def _organisation(request):
    wanted = request.GET.get("organisation") or request.POST.get("organisation")
    organisations = request.organisations
    organisation = next((o for o in organisations if str(o.pk) == wanted), None) if wanted else organisations[0]
    if organisation is None:
        raise Http404("Organisation inconnue")
    return organisation


@never_cache
@manager_required
def keys(request):
    """The organisation's keys, and the form to make one; the new key is shown once, on this response only."""
    organisation = _organisation(request)
    form = NewKeyForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        new_key = services.create_key(organisation, name=form.cleaned_data["name"],
                                      scopes=form.cleaned_data["scopes"], by=request.user)
        form = NewKeyForm()
    return render_form(request, "api/keys.html", {
        "organisation": organisation,
        "organisations": request.organisations,
        "keys": ApiKey.objects.filter(organisation=organisation).select_related("created_by", "revoked_by"),
        "form": form,
        "new_key": new_key,
        "documentation_url": reverse("api:documentation"),
        "webhooks_url": f"{reverse('api_keys:webhooks')}?organisation={organisation.pk}",
        "breadcrumb_data": {"current": "Clés d'API"},
    }, status=400 if request.method == "POST" and form.errors else 200)


@require_POST
@manager_required
def revoke(request, pk):
    api_key = get_object_or_404(ApiKey, pk=pk, organisation__in=request.organisations)
    services.revoke_key(api_key, by=request.user)
    messages.success(request, f"La clé « {api_key.name} » est révoquée : elle ne permet plus aucun appel.")
    return redirect(f"{reverse('api_keys:keys')}?organisation={api_key.organisation_id}")


LOG_SIZE = 50


@never_cache
@manager_required
def endpoints(request):
    """The organisation's webhook endpoints, the form to add one (its secret shown on this response only), and the
    log of the last deliveries."""
    organisation = _organisation(request)
    form = NewEndpointForm(request.POST or None)
    new_endpoint = None
    if request.method == "POST" and form.is_valid():
        new_endpoint = webhooks.create_endpoint(organisation, url=form.cleaned_data["url"],
                                                statuses=form.cleaned_data["statuses"], by=request.user)
        form = NewEndpointForm()
    deliveries = (
        WebhookDelivery.objects.filter(endpoint__organisation=organisation)
        .select_related("endpoint")
        .order_by("-created_at", "-pk")[:LOG_SIZE]
    )
    return render_form(request, "api/webhooks.html", {
        "organisation": organisation,
        "organisations": request.organisations,
        "endpoints": WebhookEndpoint.objects.filter(organisation=organisation, disabled_at__isnull=True),
        "deliveries": deliveries,
        "failed": DeliveryStatus.FAILED,
        "form": form,
        "new_endpoint": new_endpoint,
        "keys_url": f"{reverse('api_keys:keys')}?organisation={organisation.pk}",
        "breadcrumb_data": {"current": "Webhooks"},
    }, status=400 if request.method == "POST" and form.errors else 200)


@require_POST
@manager_required
def disable_endpoint(request, pk):
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk, organisation__in=request.organisations,
                                 disabled_at__isnull=True)
    webhooks.disable_endpoint(endpoint, by=request.user)
    messages.success(request, f"L'adresse {endpoint.url} est supprimée : elle ne reçoit plus de messages.")
    return redirect(f"{reverse('api_keys:webhooks')}?organisation={endpoint.organisation_id}")


@require_POST
@manager_required
def replay(request, pk):
    """« Rejouer » a failed delivery: the same message, for a new round of tries."""
    delivery = get_object_or_404(WebhookDelivery.objects.select_related("endpoint"), pk=pk,
                                 endpoint__organisation__in=request.organisations)
    if webhooks.replay(delivery, by=request.user):
        messages.success(request, f"Le message {delivery.message_id} est renvoyé.")
    else:
        messages.error(request, "Seule une livraison échouée, vers une adresse toujours enregistrée, se rejoue.")
    return redirect(f"{reverse('api_keys:webhooks')}?organisation={delivery.endpoint.organisation_id}")
