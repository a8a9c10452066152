from django import template

from accounts.enums import ASSISTING_ORGANISATION_KINDS
from accounts.models import Organisation
from core import formats, opening_hours

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
