"""The administration of the register: pages render; a change of situation lands in the vehicle's history."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory
from tests.vehicles.conftest import declare_cession
from vehicles import register
from vehicles.models import Cession, TaxeRegionaleRate, VehicleOperation

pytestmark = pytest.mark.django_db


def test_admin_pages_render(verified_client, seller, buyer, vehicle, cert):
    declare_cession(seller, vehicle, buyer=buyer)
    admin = UserFactory(is_staff=True, is_superuser=True)
    client = verified_client(admin)
    for url in [
        reverse("admin:vehicles_vehicle_changelist"), reverse("admin:vehicles_vehicle_add"),
        reverse("admin:vehicles_vehicle_change", args=[vehicle.pk]),
        reverse("admin:vehicles_cession_changelist"),
        reverse("admin:vehicles_cession_change", args=[Cession.objects.get().pk]),
        reverse("admin:vehicles_codeattempt_changelist"),
        reverse("admin:vehicles_taxeregionalerate_changelist"),
        reverse("admin:vehicles_taxeregionalerate_change", args=[TaxeRegionaleRate.objects.first().pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "code_hash" not in response.content.decode()


def test_a_change_of_situation_is_recorded(seller, vehicle):
    admin = UserFactory(is_staff=True)
    register.set_situation(vehicle, by=admin, gage=True, vol=False)
    vehicle.refresh_from_db()
    assert vehicle.gage and not vehicle.vol
    operation = VehicleOperation.objects.get(vehicle=vehicle, kind="situation")
    assert operation.detail == "Gage : inscrit" and operation.payload == {"by": admin.pk, "gage": True}
    register.set_situation(vehicle, by=admin, gage=True)  # nothing changes, nothing recorded
    assert VehicleOperation.objects.filter(vehicle=vehicle, kind="situation").count() == 1
