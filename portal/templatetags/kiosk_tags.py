from django import template

from portal.kiosk import idle_seconds, is_shared_device

register = template.Library()


@register.simple_tag(takes_context=True)
def shared_device(context):
    """Whether the page is shown on a device marked as shared (the kiosk mode, `portal/kiosk.py`)."""
    request = context.get("request")
    if request is None:
        return False
    marked = getattr(request, "shared_device", None)
    return is_shared_device(request) if marked is None else marked


@register.simple_tag
def kiosk_idle_seconds():
    return idle_seconds()
