import datetime
import io
from types import SimpleNamespace

import pytest
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from accounts.enums import Role
from api import services as api_services
from tests.factories import MembershipFactory, OrganisationFactory
from titles.enums import ConsentMethod
from titles.models import Mandate, RoutingRule
from vehicles.enums import CESSION, CHANGEMENT_TITULAIRE, VEHICLE

ALL_SCOPES = ("read", "file", "documents")


def make_mandate(citizen, organisation, procedures=(CESSION, CHANGEMENT_TITULAIRE)):
    now = timezone.now()
    return Mandate.objects.create(
        citizen=citizen, organisation=organisation, procedures=list(procedures),
        consent_method=ConsentMethod.ELECTRONIC, valid_until=now + datetime.timedelta(days=30), created_by=citizen,
        confirmed_at=now)


def make_org(name, *, kind="pro_auto", scopes=ALL_SCOPES):
    """An organisation, its manager and a key of the manager's; return a namespace with an authenticated client."""
    traits = {"pro_auto": True} if kind == "pro_auto" else {}
    organisation = OrganisationFactory(name=name, **traits)
    manager = MembershipFactory(organisation=organisation, role=Role.MANAGER).user
    new = api_services.create_key(organisation, name=f"Logiciel de {name}", scopes=scopes, by=manager)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {new.full_key}")
    return SimpleNamespace(organisation=organisation, manager=manager, key=new.api_key, full_key=new.full_key,
                           client=client)


@pytest.fixture
def cert(db):
    """The CERT every vehicle file is routed to."""
    cert = OrganisationFactory(cert=True, name="CERT de Nîmes")
    RoutingRule.objects.create(title=VEHICLE, departement="", cert=cert)
    return cert


@pytest.fixture
def garage(db):
    return make_org("Garage de Provence")


@pytest.fixture
def other_garage(db):
    return make_org("Garage du Rhône")


def jpeg(name="piece.jpg"):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buffer, "JPEG")
    buffer.name = name
    buffer.seek(0)
    return buffer
