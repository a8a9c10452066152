from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse
from django_otp import devices_for_user


def second_factor_redirect(request):
    """Return a redirect to the second-factor page (set-up if the user has no device yet), keeping `next`."""
    target = "accounts:otp_verify" if any(devices_for_user(request.user)) else "accounts:otp_setup"
    return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")

