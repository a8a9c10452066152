from django import template

register = template.Library()


@register.filter
def euros(cents):
    """Format an amount in cents the French way: 13,76 €."""
    try:
        value = int(cents) / 100
    except (TypeError, ValueError):
        return ""
    text = f"{value:,.2f}".replace(",", "\u202f").replace(".", ",")
    return f"{text[:-3] if text.endswith(',00') else text} €"
