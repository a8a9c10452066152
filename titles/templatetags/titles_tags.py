from dataclasses import dataclass

from django import template

from accounts.enums import ASSISTING_ORGANISATION_KINDS
from accounts.models import Organisation
from core import formats, opening_hours
from core.http import refused_forms
from titles.www.citizen import access

register = template.Library()


@register.filter
def de(name):
    """« de » before a name, elided before a vowel: {{ applicant_name|de }} → « d'Angela Martin »."""
    return formats.de(name)


@register.filter
def euros(cents):
    """Format an amount in cents the French way: 13,76 € (see `core.formats.euros`)."""
    try:
        return formats.euros(int(cents))
    except (TypeError, ValueError):
        return ""


@register.inclusion_tag("titles/_human_fallback.html")
def human_fallback(procedure, person=None):
    """The phone line, the way without this site where the law keeps one, and the point numérique nearest to
    `person` (one of their postal code, else of their département; none for an anonymous visitor): shown on the
    start page of every procedure and on every refusal. One query."""
    fallback = procedure.fallback
    place = None
    postal_code = getattr(person, "postal_code", "") or ""
    departement = getattr(person, "departement", "") or ""
    if departement:
        places = Organisation.objects.active().filter(kind__in=ASSISTING_ORGANISATION_KINDS, departement=departement)
        place = min(places, key=lambda p: (p.postal_code != postal_code, p.name), default=None)
    return {
        "fallback": fallback,
        "phone_status": opening_hours.status(fallback.phone_hours),
        "source_is_link": fallback.source.startswith("http"),
        "place": place,
        "place_status": opening_hours.status(place.opening_hours) if place else None,
    }


@register.inclusion_tag("titles/_acting_for.html", takes_context=True)
def acting_for_banner(context):
    """The banner of an assisted session or a mandate: whom the user helps, by whom, until when, how to end it.

    A view may give `acting_for`; otherwise it is worked out from the page's `application` (no query for the
    applicant, who acts for nobody)."""
    acting = context.get("acting_for")
    request = context.get("request")
    if acting is None and request is not None and context.get("application") is not None:
        acting = access.acting_for(request.user, context["application"])
    return {"acting_for": acting, "csrf_token": context.get("csrf_token")}


@dataclass(frozen=True)
class FormError:
    message: str
    anchor: str  # the field's id (the summary links to it); "" for an error of the whole form


@register.simple_tag(takes_context=True)
def form_errors(context):
    """Return the errors of every form of the page that was validated and refused (DSFR and RGAA ask for a
    summary at the top of the page, the title prefixed « Erreur : » and the focus on the summary).

    Only forms already validated by the view are read (`_errors` set): a bound form the view did not check is not
    validated here."""
    errors, seen = [], set()
    for scope in context.dicts:
        for value in refused_forms(scope.values()):
            if id(value) in seen:
                continue
            seen.add(id(value))
            for name, messages in value.errors.items():
                field = value.fields.get(name)
                anchor = _anchor(value[name]) if field is not None else ""
                label = f"{field.label} : " if field is not None and field.label else ""
                errors.extend(FormError(f"{label}{message}", anchor or "") for message in messages)
    return errors


def _anchor(bound_field):
    """The id the summary links to: the field's own, or for a group of radios or checkboxes (whose label is a
    legend, not tied to one input) the first option's, so that following the link lands in the group."""
    if bound_field.id_for_label:
        return bound_field.id_for_label
    widget = bound_field.field.widget
    if bound_field.auto_id and getattr(widget, "input_type", None) in ("radio", "checkbox"):
        return widget.id_for_label(bound_field.auto_id, 0)
    return ""
