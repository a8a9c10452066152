import logging
from base64 import b32encode
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import IntegrityError, transaction
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_decode
from django.views.decorators.http import require_POST
from django_otp import devices_for_user, match_token
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import forms, notifications, signals, throttling
from accounts.franceconnect import logout_everywhere
from accounts.tokens import email_verification_token
from core import qrcode
from core.http import FormErrorsStatus, render_form

logger = logging.getLogger(__name__)


class LoginView(FormErrorsStatus, auth_views.LoginView):
    template_name = "accounts/login.html"
    form_class = forms.LoginForm
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        """Make an IP that sprayed passwords over many accounts wait, before any password is checked."""
        wait = throttling.login_wait(request)
        if wait:
            # An unbound form: rendering a bound one would validate it, that is check the password.
            form = self.form_class(request, initial={"username": request.POST.get("username", "")})
            message = (
                "Trop de connexions ont échoué depuis ce réseau. Par sécurité, merci de patienter "
                f"{wait} seconde{'s' if wait > 1 else ''} avant de réessayer."
            )
            return self.render_to_response(self.get_context_data(form=form, throttle_message=message), status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        if form.has_error(NON_FIELD_ERRORS, "invalid_login"):
            throttling.record_login_failure(self.request, form.data.get("username", ""))
        return super().form_invalid(form)


@require_POST
def logout_view(request):
    """Close the local session, then FranceConnect's when the user came through it."""
    return logout_everywhere(request)


def logged_out(request):
    return render_form(request, "accounts/logged_out.html")


def signup(request):
    if request.user.is_authenticated:
        return redirect("titles:dashboard")
    form = forms.SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # The answer is the same whether or not the address has an account: its holder gets an e-mail instead.
        user = form.save(commit=False)  # hashes the password either way, so that timing does not tell either
        holder = form.existing_holder()
        if holder is None:
            try:
                with transaction.atomic():
                    user.save()
                    notifications.send_verification_email(user)
            except IntegrityError:  # the same address signed up at the same moment
                holder = form.existing_holder()
        if holder is not None and throttling.allow_account_email(request, "signup-attempt", holder.email):
            notifications.send_signup_attempt_email(holder)
        return render_form(request, "accounts/signup_done.html", {"email": form.cleaned_data["email"]})
    return render_form(request, "accounts/signup.html", {"form": form})


def verify_email(request, uidb64, token):
    User = get_user_model()
    try:
        user = User.objects.get(pk=force_str(urlsafe_base64_decode(uidb64)))
    except (ValueError, TypeError, OverflowError, User.DoesNotExist):
        user = None
    if user is not None and user.email_verified_at is not None:
        messages.info(request, "Votre adresse est déjà confirmée. Vous pouvez vous connecter.")
        return redirect("accounts:login")
    if user is None or not email_verification_token.check_token(user, token):
        return render_form(request, "accounts/verify_email_invalid.html", status=400)
    with transaction.atomic():
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
        signals.address_verified.send(sender=type(user), user=user)
    messages.success(request, "Votre adresse électronique est confirmée. Vous pouvez maintenant vous connecter.")
    return redirect("accounts:login")


def resend_verification(request):
    """Send the confirmation link again; the answer never says whether the address has an account."""
    form = forms.PortalPasswordResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed = throttling.allow_account_email(request, "verification", form.cleaned_data["email"])
        user = (
            get_user_model()
            .objects.filter(email__iexact=form.cleaned_data["email"], email_verified_at__isnull=True, is_active=True)
            .first()
        )
        if user and allowed:
            notifications.send_verification_email(user)
        return render_form(request, "accounts/signup_done.html", {"email": form.cleaned_data["email"]})
    return render_form(request, "accounts/resend_verification.html", {"form": form})


@login_required
def account(request):
    """Mon compte: identity (read-only from FranceConnect), contact details, security."""
    user = request.user
    contact_form = forms.ContactForm(request.POST if request.POST.get("section") == "contact" else None, instance=user)
    identity_form = (
        None
        if user.identity_locked
        else forms.DeclaredIdentityForm(
            request.POST if request.POST.get("section") == "identity" else None, instance=user
        )
    )
    if request.method == "POST":
        section = request.POST.get("section")
        form = {"contact": contact_form, "identity": identity_form}.get(section)
        if form is None:
            messages.error(request, "Ces informations ne peuvent pas être modifiées ici.")
            return redirect("accounts:account")
        if form.is_valid():
            form.save()
            messages.success(request, "Vos informations sont enregistrées.")
            return redirect("accounts:account")
    return render_form(
        request,
        "accounts/account.html",
        {
            "contact_form": contact_form,
            "identity_form": identity_form,
            "devices": list(devices_for_user(request.user, confirmed=True)),
            "memberships": user.active_memberships(),
        },
    )


class PasswordChangeView(FormErrorsStatus, auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    form_class = forms.PortalPasswordChangeForm
    success_url = reverse_lazy("accounts:account")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, "Votre mot de passe est modifié.")
        return response


class PasswordResetView(FormErrorsStatus, auth_views.PasswordResetView):
    """Django's own e-mail, written to the outbox by the e-mail backend like any other (never sent in the request)."""

    template_name = "accounts/password_reset.html"
    form_class = forms.PortalPasswordResetForm
    success_url = reverse_lazy("accounts:password_reset_done")
    subject_template_name = "emails/password_reset_subject.txt"
    email_template_name = "emails/password_reset.txt"
    html_email_template_name = "emails/password_reset.html"

    @property
    def extra_email_context(self):
        return notifications.site_context()

    def form_valid(self, form):
        """Send the link unless this address or this IP asked too often; answer the same page either way."""
        if throttling.allow_account_email(self.request, "password-reset", form.cleaned_data["email"]):
            return super().form_valid(form)
        logger.info("Password reset e-mail not sent: limit reached")
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(FormErrorsStatus, auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    form_class = forms.PortalSetPasswordForm
    success_url = reverse_lazy("accounts:login")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, "Votre mot de passe est modifié. Vous pouvez vous connecter.")
        return response


def _next_url(request, default="titles:dashboard"):
    candidate = request.POST.get("next") or request.GET.get("next")
    if candidate and url_has_allowed_host_and_scheme(candidate, {request.get_host()}, request.is_secure()):
        return candidate
    return reverse(default)


@login_required
def otp_verify(request):
    """Ask for the second factor (TOTP or a static back-up code)."""
    if request.user.is_verified():
        return redirect(_next_url(request))
    if not any(devices_for_user(request.user)):
        return redirect(f"{reverse('accounts:otp_setup')}?{urlencode({'next': _next_url(request)})}")
    form = forms.OTPTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["token"].replace(" ", ""))
        if device is not None:
            otp_login(request, device)
            # A new session key for the raised privilege: one planted or read before it is worth nothing after.
            request.session.cycle_key()
            return redirect(_next_url(request))
        form.add_error("token", "Ce code n'est pas valide. Vérifiez l'heure de votre téléphone et réessayez.")
    return render_form(request, "accounts/otp_verify.html", {"form": form, "next": _next_url(request)})


@login_required
def otp_setup(request):
    """Enrol an authenticator application: show the QR code, confirm with a first code."""
    if request.user.is_verified() or any(devices_for_user(request.user)):
        # Adding a device requires the second factor already, so a stolen password cannot enrol one.
        if not request.user.is_verified():
            return redirect(f"{reverse('accounts:otp_verify')}?{urlencode({'next': request.get_full_path()})}")
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=request.user, name="Application d'authentification", confirmed=False)
    form = forms.OTPTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"].replace(" ", "")):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            update_session_auth_hash(request, request.user)
            messages.success(request, "La double authentification est activée.")
            return redirect(_next_url(request))
        form.add_error("token", "Ce code n'est pas valide. Scannez à nouveau le QR code et saisissez le code affiché.")
    qr_svg = qrcode.qr_svg(device.config_url, error="M", scale=4, title="QR code à scanner")
    return render_form(
        request,
        "accounts/otp_setup.html",
        {"form": form, "qr_svg": qr_svg, "secret": b32encode(device.bin_key).decode(), "next": _next_url(request)},
    )
