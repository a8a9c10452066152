import pytest
from django.conf import settings
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.qrcode import qr_matrix, qr_svg
from tests.conftest import STAFF_CODE, give_static_code
from tests.factories import MembershipFactory, UserFactory
from tests.qr_support import decode

pytestmark = pytest.mark.django_db


def test_staff_without_second_factor_cannot_reach_the_admin(client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert reverse("accounts:login") in response.url or "/admin/login/" in response.url
    response = client.get("/admin/", follow=True)
    assert reverse("accounts:otp_setup") in response.redirect_chain[-1][0]


def test_static_code_opens_the_admin(client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    give_static_code(admin)
    client.force_login(admin)
    response = client.post(reverse("accounts:otp_verify"), {"token": STAFF_CODE, "next": "/admin/"})
    assert response.status_code == 302 and response.url == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_totp_enrolment(client):
    member = MembershipFactory().user
    assert member.needs_second_factor()
    client.force_login(member)
    page = client.get(reverse("accounts:otp_setup"))
    device = TOTPDevice.objects.get(user=member)
    # The page shows the QR code of the device's otpauth:// URL, which an authenticator app scans.
    assert qr_svg(device.config_url, error="M", scale=4, title="QR code à scanner") in page.content.decode()
    assert decode(qr_matrix(device.config_url)) == device.config_url
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}"
    response = client.post(reverse("accounts:otp_setup"), {"token": code})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed


def test_enrolling_a_new_device_needs_the_existing_second_factor(client):
    member = MembershipFactory().user
    give_static_code(member)
    client.force_login(member)
    response = client.get(reverse("accounts:otp_setup"))
    assert response.status_code == 302 and reverse("accounts:otp_verify") in response.url


def test_wrong_code_is_refused_with_a_french_message(client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    give_static_code(admin)
    client.force_login(admin)
    response = client.post(reverse("accounts:otp_verify"), {"token": "00000000", "next": "/admin/"})
    assert "Ce code n&#x27;est pas valide" in response.content.decode()
    assert client.get("/admin/").status_code == 302


def test_an_administrator_cannot_read_an_agents_totp_secret(verified_client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    give_static_code(admin)
    client = verified_client(admin)
    agent = MembershipFactory().user
    device = TOTPDevice.objects.create(user=agent, name="téléphone", confirmed=True)
    page = client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk]))
    assert page.status_code == 200 and device.key not in page.content.decode()
    assert "qrcode" not in page.content.decode()
    for view in ("otp_totp_totpdevice_config", "otp_totp_totpdevice_qrcode"):
        assert client.get(reverse(f"admin:{view}", args=[device.pk])).status_code == 403


def test_passing_the_second_factor_gives_a_new_session_key(client):
    """A session key planted or read before the second factor must not carry the raised privilege."""
    admin = UserFactory(is_staff=True, is_superuser=True)
    give_static_code(admin)
    client.force_login(admin)
    before = client.session.session_key
    response = client.post(reverse("accounts:otp_verify"), {"token": STAFF_CODE, "next": "/admin/"})
    assert response.status_code == 302 and response.url == "/admin/"
    assert client.session.session_key != before
    assert client.session["_auth_user_id"] == str(admin.pk)
    assert client.get("/admin/").status_code == 200  # still signed in, and verified
    # The old key is no longer a session at all.
    client.cookies[settings.SESSION_COOKIE_NAME] = before
    assert client.get("/admin/").status_code == 302
