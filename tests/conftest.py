import pytest
from django.core.cache import cache, caches
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

pytest_plugins = ["tests.today"]  # --today / PORTAL_TEST_TODAY: run as if today were another day

STAFF_CODE = "12345678"


@pytest.fixture(autouse=True)
def _clean_state(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    caches["local"].clear()


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
    return membership.user
