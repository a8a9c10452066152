"""E-mails about the account itself, sent by Celery, never inside the request."""

import logging

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.tokens import email_verification_token

logger = logging.getLogger(__name__)


def _send(template, to, context):
    context = {"site_url": settings.SITE_URL, "site_title": settings.PORTAL_SITE_TITLE, **context}
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


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=8)
def send_verification_email(user_id):
    """Send the link that confirms the address; do nothing if it is already confirmed."""
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None or user.email_verified_at is not None:
        return
    _send("verify_email", user.email, {"user": user, "url": _verification_url(user)})


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=8)
def send_signup_attempt_email(user_id):
    """Tell the holder of an address that someone tried to create an account with it (sign-up answers the same
    page whether or not the address has an account), with the ways into the existing one."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
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


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=8)
def send_password_reset_email(user_id, uidb64, token):
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return
    path = reverse("accounts:password_reset_confirm", kwargs={"uidb64": uidb64, "token": token})
    _send("password_reset", user.email, {"user": user, "url": settings.SITE_URL + path})
