import logging

import pytest
from django.core.cache import cache, caches
from django.db.backends.base.base import BaseDatabaseWrapper
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

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

    And run an after-commit callback at once when the only transaction open is the test's own, as Django does in
    autocommit: a request outside any `atomic` block (a password reset) queues its e-mail at once in production.
    Callbacks registered inside the code's own `atomic` blocks still wait for the test's commit, as before
    (`django_capture_on_commit_callbacks(execute=True)`)."""
    settings.EMAIL_BACKEND = "notifications.backends.OutboxEmailBackend"
    real_on_commit = BaseDatabaseWrapper.on_commit

    def on_commit(connection, func, robust=False):
        if not (connection.in_atomic_block and all(block._from_testcase for block in connection.atomic_blocks)):
            return real_on_commit(connection, func, robust)
        try:
            func()
        except Exception:
            if not robust:
                raise
            logging.getLogger("django.db.backends.base").exception("Error calling %s in on_commit()", func)

    monkeypatch.setattr(BaseDatabaseWrapper, "on_commit", on_commit)


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
