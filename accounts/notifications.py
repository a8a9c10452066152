"""E-mails about the account itself. Like every e-mail, each is an outbox row written in the request's transaction
(`notifications.backends.OutboxEmailBackend`) and sent by a worker after commit: a broker that is down delays it,
never loses it nor fails the request. The password-reset e-mail is Django's own (`accounts.views.PasswordResetView`
names its templates)."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.tokens import email_verification_token


def site_context():
    return {"site_url": settings.SITE_URL, "site_title": settings.PORTAL_SITE_TITLE}


def _send(template, to, context):
    context = {**site_context(), **context}
    subject = render_to_string(f"emails/{template}_subject.txt", context).strip()
    text = render_to_string(f"emails/{template}.txt", context)
    html = render_to_string(f"emails/{template}.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to])
    message.attach_alternative(html, "text/html")
    message.send()


def _verification_url(user):
    path = reverse(
        "accounts:verify_email",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": email_verification_token.make_token(user),
        },
    )
    return settings.SITE_URL + path


def send_verification_email(user):
    """Send the link that confirms the address; do nothing if it is already confirmed."""
    if user.email_verified_at is not None:
        return
    _send("verify_email", user.email, {"user": user, "url": _verification_url(user)})


def send_signup_attempt_email(user):
    """Tell the holder of an address that someone tried to create an account with it (sign-up answers the same
    page whether or not the address has an account), with the ways into the existing one."""
    if not user.is_active:
        return
    unconfirmed = user.email_verified_at is None and not user.fc_sub
    _send(
        "signup_attempt",
        user.email,
        {
            "user": user,
            "login_url": settings.SITE_URL + reverse("accounts:login"),
            "reset_url": settings.SITE_URL + reverse("accounts:password_reset"),
            "verify_url": _verification_url(user) if unconfirmed else "",
            "franceconnect": bool(user.fc_sub) and not user.has_usable_password(),
        },
    )
