from django import template

from core import formats

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
