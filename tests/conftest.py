from types import SimpleNamespace

import pytest
from django.core.cache import cache, caches
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from notifications import outbox
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

pytest_plugins = ["tests.today"]  # --today / PORTAL_TEST_TODAY: run as if today were another day

STAFF_CODE = "12345678"


@pytest.fixture(autouse=True)
def _clean_state(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    caches["local"].clear()


@pytest.fixture(autouse=True)
def _outbox_as_in_production(settings, monkeypatch):
    """Send every e-mail through the outbox, as production does: Django's test set-up puts the locmem backend in
    EMAIL_BACKEND; here the outbox writes the row and its task delivers to `mail.outbox` (the locmem
    NOTIFICATIONS_DELIVERY_BACKEND).

    And let the outbox queue its task at once when the only transaction open is the test's own, as it does in
    autocommit: a request outside any `atomic` block (a password reset) queues its e-mail at once in production.
    What it queues inside the code's own `atomic` blocks still waits for the test's commit, as before
    (`django_capture_on_commit_callbacks(execute=True)`)."""
    settings.EMAIL_BACKEND = "notifications.backends.OutboxEmailBackend"

    def on_commit(func, using=None, robust=False):
        connection = transaction.get_connection(using)
        if connection.in_atomic_block and all(block._from_testcase for block in connection.atomic_blocks):
            func()
        else:
            transaction.on_commit(func, using, robust)

    monkeypatch.setattr(outbox, "transaction", SimpleNamespace(on_commit=on_commit))


@pytest.fixture
def citizen(db):
    return UserFactory()


@pytest.fixture
def other_citizen(db):
    return UserFactory()


def give_static_code(user, code=STAFF_CODE):
    device = StaticDevice.objects.create(user=user, name="test")
    StaticToken.objects.create(device=device, token=code)
    return device


def verified(user):
    """Return `user` as one who passed the second factor, for services called outside a request (django-otp's
    middleware puts the device on the request's user; `accounts.models.second_factor_passed` reads it)."""
    user.otp_device = StaticDevice.objects.filter(user=user).first() or give_static_code(user)
    return user


@pytest.fixture
def verified_client(client):
    """Return a function that logs a user in and passes the second factor."""

    def login(user):
        client.force_login(user)
        if user.needs_second_factor():
            device = StaticDevice.objects.filter(user=user).first() or give_static_code(user)
            session = client.session
            session["otp_device_id"] = device.persistent_id
            session.save()
        return client

    return login


@pytest.fixture
def cert_agent(db):
    membership = MembershipFactory(organisation=OrganisationFactory(cert=True), role="agent")
    return verified(membership.user)
