"""The facts a vehicle file's first step establishes (the vehicle, the cession taken up) live in a typed row with
foreign keys (`VehicleFile`), not in `Application.data`, which only holds the draft."""

import datetime
import importlib
import pathlib
import re

import pytest
import time_machine
from django.apps import apps
from django.utils import timezone

from tests.vehicles.conftest import buyer_draft, declare_cession, fill, make_vehicle, owner_data, pay_and_submit
from titles import services as titles_services
from titles.models import Application
from titles.registry import registry
from titles.workflow import InvalidTransition, Status
from vehicles import services
from vehicles.enums import CHANGEMENT_ADRESSE, OperationKind
from vehicles.models import Cession, VehicleFile, VehicleOperation
from vehicles.procedures import CPI

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 27, 10, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))
ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def address_draft(user, vehicle):
    application = titles_services.create_draft(registry.get(CHANGEMENT_ADRESSE), applicant=user, filed_by=user)
    fill(application, "vehicule", owner_data(vehicle, user))
    fill(application, "adresse", {"address_line": "5 avenue des Îles", "postal_code": "83400", "city": "Hyères",
                                  "moved_on": (timezone.localdate() - datetime.timedelta(days=3)).isoformat()})
    return application


def test_the_first_step_records_the_vehicle_in_a_row_and_the_draft_keeps_only_what_was_typed(seller, vehicle):
    other = make_vehicle(seller, registration_number="GH-123-JK", vin="VF3CCHMZ6KW099999",
                         numero_formule="2023KR09999")
    application = address_draft(seller, vehicle)
    assert VehicleFile.objects.get(application=application).vehicle == vehicle
    assert "vehicle_id" not in application.data["vehicule"]

    # Saving the step again for another vehicle replaces the fact; it never adds a second row.
    fill(application, "vehicule", owner_data(other, seller))
    assert services.vehicle_of(application) == other
    assert VehicleFile.objects.filter(application=application).count() == 1


def test_a_vehicle_id_slipped_into_the_draft_does_not_choose_the_vehicle_submitted(seller, vehicle, cert):
    other = make_vehicle(seller, registration_number="GH-123-JK", vin="VF3CCHMZ6KW099999",
                         numero_formule="2023KR09999")
    application = address_draft(seller, vehicle)
    data = application.data
    data["vehicule"]["vehicle_id"] = other.pk
    Application.objects.filter(pk=application.pk).update(data=data)
    application.refresh_from_db()

    pay_and_submit(application, seller)

    vehicle.refresh_from_db()
    other.refresh_from_db()
    assert (vehicle.city, other.city) == ("Hyères", "Toulon")


def test_a_filed_changement_de_titulaire_keeps_its_vehicle_and_cession_whatever_its_data(seller, buyer, vehicle, cert,
                                                                                       django_capture_on_commit_callbacks):
    _, code = declare_cession(seller, vehicle, buyer=buyer)
    cession = Cession.objects.get()
    application = buyer_draft(buyer, vehicle, code)
    with django_capture_on_commit_callbacks(execute=True):
        pay_and_submit(application, buyer)

    Application.objects.filter(pk=application.pk).update(data={})
    application.refresh_from_db()

    assert services.vehicle_of(application) == vehicle
    assert services.cession_of(application) == cession
    assert application.procedure.output_context(application, CPI)["vehicle"]["registration_number"] == (
        vehicle.registration_number)
    # The undo finds everything it needs without the draft: the seller holds the vehicle again.
    titles_services.apply_transition(application, "withdraw", actor=buyer)
    assert [h.user for h in vehicle.holders.current()] == [seller]
    assert VehicleOperation.objects.filter(application=application, kind=OperationKind.ANNULATION).exists()


def test_a_filed_file_s_steps_cannot_be_saved_again(seller, vehicle, cert):
    application = address_draft(seller, vehicle)
    pay_and_submit(application, seller)
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED
    with pytest.raises(InvalidTransition) as refused:
        titles_services.save_step(application, "adresse", {"address_line": "ailleurs"})
    assert refused.value.code == "state"
    application.refresh_from_db()
    assert application.data["adresse"]["city"] == "Hyères"


def test_the_migration_moves_the_ids_of_existing_files_to_rows(seller, buyer, vehicle, cert):
    _, code = declare_cession(seller, vehicle, buyer=buyer)
    cession = Cession.objects.get()
    application = buyer_draft(buyer, vehicle, code)
    pay_free = address_draft(seller, make_vehicle(seller, registration_number="GH-123-JK", vin="VF3CCHMZ6KW099999",
                                                  numero_formule="2023KR09999"))
    # Files as the portal kept them before the rows existed: the ids in the draft.
    VehicleFile.objects.all().delete()
    old = {**application.data, "vehicule": {**application.data["vehicule"], "vehicle_id": vehicle.pk,
                                            "cession_id": cession.pk}}
    Application.objects.filter(pk=application.pk).update(data=old)
    dangling = {**pay_free.data, "vehicule": {**pay_free.data["vehicule"], "vehicle_id": 999_999}}
    Application.objects.filter(pk=pay_free.pk).update(data=dangling)

    migration = importlib.import_module("vehicles.migrations.0005_typed_vehiclefile")
    migration.move_ids_to_rows(apps, None)

    row = VehicleFile.objects.get()
    assert (row.application_id, row.vehicle, row.cession) == (application.pk, vehicle, cession)
    for file in (application, pay_free):
        file.refresh_from_db()
        assert not {"vehicle_id", "cession_id"} & file.data["vehicule"].keys()


# Reading a fact of the file back from the draft: `data["vehicule"]["vehicle_id"]`, `.get("cession_id")`…
FACT_READ = re.compile(r"""(\[|\.get\(|\.pop\()\s*["'](vehicle_id|cession_id)["']\s*(\]|,|\))(?!\s*=[^=])""")


def test_no_module_reads_the_vehicle_or_the_cession_from_the_draft():
    offenders = []
    for app in ("vehicles", "titles", "licences", "identity", "portal"):
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                # The one place allowed: the procedure's record_step takes the form's output out of the draft.
                if FACT_READ.search(line) and "values.pop(" not in line:
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []
