"""The first registration of a new vehicle, filed by a habilitated professional (the dealer) under its client's
mandate: the journey through the web views, the malus in the fee, the SIV number and the CPI at submission, the
certificate on acceptance, the refusal that undoes the registration, the mandate it needs, a bad VIN refused in
French, and the tables that change with the day."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from accounts.enums import Role
from tests.api.conftest import make_mandate, make_org
from tests.conftest import verified
from tests.factories import MembershipFactory, UserFactory
from tests.pdf_support import shows
from tests.vehicles.conftest import add_documents, card_form
from tests.vehicles.test_handshake import pdf_text
from tests.vehicles.test_pro import garage, mandate, start_url
from titles import services as titles_services
from titles.models import Application, GeneratedDocument
from titles.registry import registry
from titles.workflow import Status
from vehicles.enums import CESSION, IMMATRICULATION_NEUF, HolderRole, OperationKind
from vehicles.formats import is_siv_number
from vehicles.models import Vehicle, VehicleOperation

pytestmark = pytest.mark.django_db

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
NOW = datetime.datetime(2026, 6, 15, 10, 0, tzinfo=PARIS)
VIN = "VF1RJB00X71234567"
REASON = "Motif de test : le certificat de conformité ne correspond pas au véhicule."


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def agent(cert):
    return verified(MembershipFactory(organisation=cert, role=Role.AGENT).user)


def new_vehicle(**changes):
    """What the dealer types from the certificate of conformity: a petrol SUV, 140 g/km, 1 550 kg."""
    return {"vin": VIN, "make": "Renault", "type_code": "M10RENVP0A1B", "model_name": "Austral", "category": "VP",
            "energy": "ES", "co2_g_km": "140", "mass_kg": "1550", "max_laden_mass_kg": "", "fiscal_horsepower": "7",
            "electric_range_km": "", "first_registration_date": "2026-06-15", **changes}


def step_url(application, slug):
    return reverse("titles:step", kwargs={"reference": application.reference, "slug": slug})


def open_draft(client, given):
    client.post(reverse("titles:start", kwargs={"code": IMMATRICULATION_NEUF}), {"mandat": given.pk})
    return Application.objects.filter(procedure_code=IMMATRICULATION_NEUF).latest("pk")


def fill_steps(client, application, buyer, *, holder=True, **changes):
    response = client.post(step_url(application, "vehicule"), new_vehicle(**changes))
    assert response.status_code == 302 and "/etape/titulaire/" in response.url
    assert not holder or client.post(step_url(application, "titulaire"), {
        "address_line": buyer.address_line, "postal_code": buyer.postal_code, "city": buyer.city}).status_code == 302
    application.refresh_from_db()


def file_it(client, application, staff, captured):
    """Give the pieces, then pay by card at the last step, which files it (the after-commit tasks run)."""
    add_documents(application, staff)
    with captured(execute=True):
        response = client.post(reverse("titles:payment", kwargs={"reference": application.reference}), card_form())
        assert response.status_code == 302, response.content.decode()[:2000]
    application.refresh_from_db()
    return application


def test_the_dealer_registers_a_new_vehicle_for_its_client(verified_client, buyer, cert, agent,
                                                           django_capture_on_commit_callbacks):
    organisation, staff = garage()
    given = mandate(buyer, organisation, procedures=(IMMATRICULATION_NEUF,))
    client = verified_client(staff)
    # Offered in the professional's space, under the client's mandate.
    page = client.get(reverse("vehicles:pro")).content.decode()
    assert start_url(IMMATRICULATION_NEUF, given).replace("&", "&amp;") in page
    assert "Immatriculation d&#x27;un véhicule neuf par un professionnel" in page

    application = open_draft(client, given)
    assert application.applicant == buyer and application.filed_by == staff and application.mandate == given
    fill_steps(client, application, buyer)

    # The fee, line by line, on the payment page: the malus of the 2026 table, Y1, Y4, Y5.
    lines = {line.label: line.cents for line in application.procedure.fee_lines(application)}
    assert lines["Malus CO2 — 140 g/km (WLTP), barème applicable depuis le 1er janvier 2026"] == 220500
    assert lines["Malus au poids — 1\u202f550 kg en ordre de marche"] == 51000
    assert any(label.startswith("Taxe régionale (Y1) — 7 CV") for label in lines)
    payment = client.get(reverse("titles:payment", kwargs={"reference": application.reference})).content.decode()
    assert "Malus CO2" in payment and "Malus au poids" in payment

    application = file_it(client, application, staff, django_capture_on_commit_callbacks)
    assert application.status == Status.SUBMITTED
    # In the register at once: a new SIV number, the client as holder at the address given, no formule yet.
    vehicle = Vehicle.objects.get(vin=VIN)
    assert is_siv_number(vehicle.registration_number) and vehicle.numero_formule == ""
    assert [(h.user, h.role) for h in vehicle.holders.current()] == [(buyer, HolderRole.TITULAIRE)]
    assert vehicle.postal_code == "83300" and vehicle.make == "RENAULT" and vehicle.fiscal_horsepower == 7
    assert vehicle.first_registration_date == datetime.date(2026, 6, 15)

    # The CPI, printed by the dealer from its space, says the number, the VIN and the holder.
    cpi = GeneratedDocument.objects.get(application=application, kind="cpi")
    assert shows(pdf_text(cpi), vehicle.registration_number, VIN, "BENALI KARIM", "Garage de Provence",
                 "Certificat provisoire")
    assert reverse("titles:generated_file", kwargs={"reference": application.reference, "pk": cpi.pk}) in (
        client.get(reverse("vehicles:pro")).content.decode())
    # The client is told what the dealer filed in their name.
    assert any(m.to == [buyer.email] and "Garage de Provence" in m.subject for m in mail.outbox)

    # The CERT accepts: the certificate is made (a numéro de formule, dated today).
    titles_services.apply_transition(application, "take", actor=agent)
    with django_capture_on_commit_callbacks(execute=True):
        titles_services.apply_transition(application, "accept", actor=agent)
    vehicle.refresh_from_db()
    assert vehicle.numero_formule.startswith("2026") and vehicle.certificate_date == datetime.date(2026, 6, 15)
    assert VehicleOperation.objects.filter(vehicle=vehicle, kind=OperationKind.NOUVEAU_CERTIFICAT).count() == 1


def test_a_refusal_undoes_the_registration_and_the_number_stays_the_vehicles(
        verified_client, buyer, cert, agent, django_capture_on_commit_callbacks):
    organisation, staff = garage()
    given = mandate(buyer, organisation, procedures=(IMMATRICULATION_NEUF,))
    client = verified_client(staff)
    application = open_draft(client, given)
    fill_steps(client, application, buyer)
    application = file_it(client, application, staff, django_capture_on_commit_callbacks)
    number = Vehicle.objects.get(vin=VIN).registration_number
    titles_services.apply_transition(application, "take", actor=agent)
    titles_services.apply_transition(application, "reject", actor=agent, reason=REASON)
    vehicle = Vehicle.objects.get(vin=VIN)
    assert not vehicle.holders.current().exists()
    assert VehicleOperation.objects.filter(vehicle=vehicle, kind=OperationKind.ANNULATION).count() == 1

    # Filed again (the certificate of conformity corrected): the same number, never another one.
    again = open_draft(client, given)
    fill_steps(client, again, buyer)
    again = file_it(client, again, staff, django_capture_on_commit_callbacks)
    assert again.status == Status.SUBMITTED
    assert Vehicle.objects.get(vin=VIN).registration_number == number
    assert [h.user for h in Vehicle.objects.get(vin=VIN).holders.current()] == [buyer]


def test_a_mandate_covering_the_procedure_is_needed(verified_client, client, buyer, cert):
    organisation, staff = garage()
    narrow = mandate(buyer, organisation, procedures=(CESSION,))
    assert verified_client(staff).get(start_url(IMMATRICULATION_NEUF, narrow)).status_code == 404
    response = client.post(reverse("titles:start", kwargs={"code": IMMATRICULATION_NEUF}), {"mandat": narrow.pk})
    assert response.status_code == 404 and not Application.objects.filter(
        procedure_code=IMMATRICULATION_NEUF).exists()
    # A citizen cannot register a new vehicle herself: only a mandated professional may.
    citizen = UserFactory()
    client.force_login(citizen)
    response = client.post(reverse("titles:start", kwargs={"code": IMMATRICULATION_NEUF}))
    assert response.status_code == 403 and "professionnel mandaté" in response.content.decode()
    assert not Application.objects.filter(procedure_code=IMMATRICULATION_NEUF).exists()


def test_a_bad_vin_is_refused_in_french_keeping_what_was_typed(verified_client, buyer, cert, vehicle):
    organisation, staff = garage()
    client = verified_client(staff)
    application = open_draft(client, mandate(buyer, organisation, procedures=(IMMATRICULATION_NEUF,)))
    # The engine's step page answers the form again (its status is the engine's: see titles/www/citizen/wizard.py).
    page = client.post(step_url(application, "vehicule"), new_vehicle(vin="VF1RJB00X7123")).content.decode()
    assert "Un numéro VIN compte 17 caractères ; vous en avez saisi 13." in page and 'value="VF1RJB00X7123"' in page
    page = client.post(step_url(application, "vehicule"), new_vehicle(vin="VF1RJBOOX71234567")).content.decode()
    assert "Les lettres I, O et Q n&#x27;existent pas" in page
    # A VIN already in the register is no new vehicle.
    page = client.post(step_url(application, "vehicule"), new_vehicle(vin=vehicle.vin)).content.decode()
    assert "ce n&#x27;est pas un véhicule neuf" in page
    assert "vin" not in (Application.objects.get(pk=application.pk).data.get("vehicule") or {})


def test_the_garage_software_files_through_the_api_a_bad_vin_is_a_400(buyer, cert):
    org = make_org("Garage de Provence")
    given = make_mandate(buyer, org.organisation, procedures=(IMMATRICULATION_NEUF,))
    response = org.client.post("/api/v1/files/", {"procedure": IMMATRICULATION_NEUF, "mandate": given.pk},
                               format="json")
    assert response.status_code == 201, response.json()
    reference = response.json()["reference"]
    steps = f"/api/v1/files/{reference}/steps/"
    response = org.client.post(f"{steps}vehicule/", {"data": new_vehicle(vin="VF1RJB00X7123")}, format="json")
    assert response.status_code == 400 and "Un numéro VIN compte 17 caractères" in response.content.decode()
    assert org.client.post(f"{steps}vehicule/", {"data": new_vehicle()}, format="json").status_code == 200
    assert org.client.post(f"{steps}titulaire/", {"data": {"address_line": buyer.address_line, "postal_code":
                           buyer.postal_code, "city": buyer.city}}, format="json").status_code == 200
    # The API's quote shows the malus lines as the payment page does.
    quote = org.client.get(f"/api/v1/files/{reference}/fees/").json()
    labels = {line["label"]: line["cents"] for line in quote["lines"]}
    assert labels["Malus CO2 — 140 g/km (WLTP), barème applicable depuis le 1er janvier 2026"] == 220500
    assert quote["total_cents"] == sum(labels.values()) and quote["total_cents"] > 220500 + 51000


def test_the_malus_follows_the_day_of_the_first_registration(verified_client, buyer, cert, frozen):
    frozen.move_to(datetime.datetime(2025, 12, 31, 10, 0, tzinfo=PARIS))
    organisation, staff = garage()
    given = mandate(buyer, organisation, procedures=(IMMATRICULATION_NEUF,))

    def malus_lines(day):
        frozen.move_to(datetime.datetime.combine(day, datetime.time(10), tzinfo=PARIS))
        client = verified_client(staff)  # a new day, a new session (the old one timed out)
        application = open_draft(client, given)
        # The vehicle only: the taxe régionale of the Var is loaded from 2026 (the malus does not depend on it).
        fill_steps(client, application, buyer, holder=False, co2_g_km="110", mass_kg="1550",
                   first_registration_date=day.isoformat())
        return [(line.label, line.cents) for line in application.procedure.fee_lines(application)
                if line.label.startswith("Malus")]

    # 31 December 2025: under the 2025 thresholds (113 g/km, 1 600 kg), nothing is due.
    assert [cents for _, cents in malus_lines(datetime.date(2025, 12, 31))] == [0, 0]
    # The next day, the 2026 table: 108 g/km and 1 500 kg.
    assert [cents for _, cents in malus_lines(datetime.date(2026, 1, 1))] == [10000, 51000]


def dealer_draft_on(day, verified_client, buyer, frozen):
    """A garage's new-vehicle draft for `buyer`, opened at 10:00 on `day` (Paris): (client, application)."""
    frozen.move_to(datetime.datetime.combine(day, datetime.time(10), tzinfo=PARIS))
    organisation, staff = garage()
    client = verified_client(staff)
    return client, open_draft(client, mandate(buyer, organisation, procedures=(IMMATRICULATION_NEUF,)))


def test_a_first_registration_in_2027_owes_the_2027_grid(verified_client, buyer, cert, frozen):
    client, application = dealer_draft_on(datetime.date(2027, 1, 4), verified_client, buyer, frozen)
    fill_steps(client, application, buyer, holder=False, first_registration_date="2027-01-04")
    lines = {line.label: line.cents for line in application.procedure.fee_lines(application)
             if line.label.startswith("Malus")}
    # 140 g/km: 3 119 € on the 2027 grid (first taxed at 103 g/km); 1 550 kg: 51 kg at 10 €.
    assert lines == {"Malus CO2 — 140 g/km (WLTP), barème applicable depuis le 1er janvier 2027": 311900,
                     "Malus au poids — 1\u202f550 kg en ordre de marche": 51000}


def test_no_table_for_2028_the_form_says_so(verified_client, buyer, cert, frozen):
    client, application = dealer_draft_on(datetime.date(2028, 1, 4), verified_client, buyer, frozen)
    page = client.post(step_url(application, "vehicule"),
                       new_vehicle(first_registration_date="2028-01-04")).content.decode()
    assert "Le barème du malus applicable le 4 janvier 2028 n&#x27;est pas encore enregistré" in page
    assert "du 1er mars 2025 au 31 décembre 2027" in page
    assert registry.get(IMMATRICULATION_NEUF).fee_pending(Application.objects.get(pk=application.pk))


def test_a_hybrid_in_2027_the_form_says_its_mass_tax_is_not_computed(verified_client, buyer, cert, frozen):
    client, application = dealer_draft_on(datetime.date(2027, 1, 4), verified_client, buyer, frozen)
    page = client.post(step_url(application, "vehicule"),
                       new_vehicle(energy="EH", first_registration_date="2027-01-04")).content.decode()
    assert "L&#x27;abattement du malus au poids des véhicules hybrides" in page
    assert "puissance du moteur électrique" in page


@pytest.mark.parametrize("way_out", ["withdraw", "close"])
def test_a_withdrawal_or_the_portals_closing_undoes_the_registration(
        way_out, verified_client, buyer, cert, django_capture_on_commit_callbacks):
    organisation, staff = garage()
    client = verified_client(staff)
    application = open_draft(client, mandate(buyer, organisation, procedures=(IMMATRICULATION_NEUF,)))
    fill_steps(client, application, buyer)
    application = file_it(client, application, staff, django_capture_on_commit_callbacks)
    if way_out == "withdraw":  # by the client, from the file's page (the file is in their name)
        response = verified_client(buyer).post(reverse("titles:withdraw", kwargs={"reference": application.reference}),
                               {"confirm": "on"})
        assert response.status_code == 302
    else:
        titles_services.apply_transition(application, "close", actor=None, reason=REASON)
    application.refresh_from_db()
    assert application.status in (Status.WITHDRAWN, Status.REJECTED)
    vehicle = Vehicle.objects.get(vin=VIN)
    assert not vehicle.holders.current().exists()
    assert VehicleOperation.objects.filter(vehicle=vehicle, kind=OperationKind.ANNULATION).count() == 1
