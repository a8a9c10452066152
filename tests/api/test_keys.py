"""The manager's pages of API keys: behind the membership (manager only) and the second factor; a key is shown
once, stored as its hash, revoked at once; both acts journaled."""

import pytest
from django.urls import reverse

from accounts.enums import Role
from api import services
from api.models import ApiKey, hash_key
from journal.models import Entry
from tests.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

KEYS = "/professionnels/cles-api/"


def test_the_manager_creates_a_key_shown_once_and_stored_hashed(verified_client):
    organisation = OrganisationFactory(pro_auto=True)
    manager = MembershipFactory(organisation=organisation, role=Role.MANAGER).user
    client = verified_client(manager)
    assert reverse("api_keys:keys") == KEYS
    response = client.post(KEYS, {"name": "Logiciel atelier", "scopes": ["read", "file"]})
    assert response.status_code == 200
    key = ApiKey.objects.get()
    shown = response.content.decode().split('<code id="nouvelle-cle">')[1].split("</code>")[0]
    assert shown.startswith("garage-api-") and shown.startswith(key.prefix + "_")
    assert key.secret_hash == hash_key(shown) and shown not in str(ApiKey.objects.values().get())
    assert key.scopes == ["read", "file"] and key.created_by == manager
    # Shown once: the list afterwards shows the prefix only.
    page = client.get(KEYS).content.decode()
    assert key.prefix in page and shown not in page
    entry = Entry.objects.get(action="api_key.created")
    assert entry.actor == manager and entry.organisation == organisation and key.prefix in entry.subject


def test_the_manager_revokes_a_key_and_it_stops_working(verified_client):
    organisation = OrganisationFactory(pro_auto=True)
    manager = MembershipFactory(organisation=organisation, role=Role.MANAGER).user
    client = verified_client(manager)
    response = client.post(KEYS, {"name": "Atelier", "scopes": ["read"]})
    full_key = response.content.decode().split('<code id="nouvelle-cle">')[1].split("</code>")[0]
    key = ApiKey.objects.get()
    assert client.post(reverse("api_keys:revoke", args=[key.pk])).status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None and key.revoked_by == manager
    assert Entry.objects.filter(action="api_key.revoked", actor=manager, organisation=organisation).count() == 1
    api = client.__class__()
    response = api.get("/api/v1/files/", HTTP_AUTHORIZATION=f"Bearer {full_key}")
    assert response.status_code == 401 and response["Content-Type"] == "application/problem+json"
    assert response.json()["type"].endswith("/api/v1/problems/authentification")


def test_only_the_manager_with_a_second_factor_reaches_the_keys(client, verified_client):
    organisation = OrganisationFactory(pro_auto=True)
    staff = MembershipFactory(organisation=organisation, role=Role.STAFF).user
    manager = MembershipFactory(organisation=organisation, role=Role.MANAGER).user
    # A collaborator is no manager: 404.
    assert verified_client(staff).get(KEYS).status_code == 404
    # The manager without the second factor is sent to it.
    client.force_login(manager)
    response = client.get(KEYS)
    assert response.status_code == 302 and "/compte/" in response.url
    assert client.post(KEYS, {"name": "x", "scopes": ["read"]}).status_code == 302 and not ApiKey.objects.exists()


def test_a_manager_cannot_revoke_another_organisations_key(verified_client):
    mine = OrganisationFactory(pro_auto=True)
    theirs = OrganisationFactory(pro_auto=True)
    manager = MembershipFactory(organisation=mine, role=Role.MANAGER).user
    other_manager = MembershipFactory(organisation=theirs, role=Role.MANAGER).user
    foreign = services.create_key(theirs, name="Leur clé", scopes=["read"], by=other_manager).api_key
    response = verified_client(manager).post(reverse("api_keys:revoke", args=[foreign.pk]))
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.revoked_at is None
