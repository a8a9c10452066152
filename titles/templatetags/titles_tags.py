from django import template

from core import formats
from titles.www.citizen import access

register = template.Library()


@register.filter
def euros(cents):
    """Format an amount in cents the French way: 13,76 € (see `core.formats.euros`)."""
    try:
        return formats.euros(int(cents))
    except (TypeError, ValueError):
        return ""


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
