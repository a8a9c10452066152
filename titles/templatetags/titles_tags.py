from django import template

from core import formats

register = template.Library()


@register.filter
def euros(cents):
    """Format an amount in cents the French way: 13,76 € (see `core.formats.euros`)."""
    try:
        return formats.euros(int(cents))
    except (TypeError, ValueError):
        return ""
