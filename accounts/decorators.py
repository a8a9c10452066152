from functools import wraps
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import reverse
from django_otp import devices_for_user


def second_factor_redirect(request):
    """Return a redirect to the second-factor page (set-up if the user has no device yet), keeping `next`."""
    target = "accounts:otp_verify" if any(devices_for_user(request.user)) else "accounts:otp_setup"
    return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")


def verified_staff_required(view):
    """Require a signed-in user who passed a second factor in this session.

    Staff of organisations, médiateurs, CERT agents and administrators all go through here.
    """

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not request.user.is_verified():
            return second_factor_redirect(request)
        return view(request, *args, **kwargs)

    return wrapper
