"""Changement d'adresse, duplicata and the proof of ownership that gates every operation of a holder."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.enums import Role
from tests.conftest import verified
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.vehicles.conftest import add_documents, fill, make_vehicle, owner_data, pay_and_submit
from titles import services as titles_services
from titles.models import GeneratedDocument, RoutingRule
from titles.registry import registry
from titles.workflow import InvalidTransition
from vehicles import attempts, register
from vehicles.enums import CESSION, CHANGEMENT_ADRESSE, DUPLICATA, VEHICLE
from vehicles.formats import parse_registration
from vehicles.models import Holder, Vehicle, VehicleOperation

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(cert):
    return verified(MembershipFactory(organisation=cert, role=Role.AGENT).user)


def draft(code, user, vehicle, **owner):
    application = titles_services.create_draft(registry.get(code), applicant=user, filed_by=user)
    return fill(application, "vehicule", {**owner_data(vehicle, user), **owner})


def change_address(user, vehicle, city="Hyères", postal_code="83400"):
    application = draft(CHANGEMENT_ADRESSE, user, vehicle)
    fill(application, "adresse", {"address_line": "5 avenue des Îles", "postal_code": postal_code, "city": city,
                                  "moved_on": (timezone.localdate() - datetime.timedelta(days=3)).isoformat()})
    if application.procedure.fee_total(application):
        return pay_and_submit(application, user).application
    return titles_services.apply_transition(application, "submit", actor=user).application


def test_three_etiquettes_then_a_new_certificate(seller, vehicle, cert, agent, django_capture_on_commit_callbacks):
    for number in (1, 2, 3):
        with django_capture_on_commit_callbacks(execute=True):
            application = change_address(seller, vehicle, city=f"Ville {number}")
        accuse = GeneratedDocument.objects.get(application=application, kind="accuse-adresse")
        assert accuse.status == "ready" and f"Ville {number}" in accuse.context["outcome"]["new_address"]
        assert application.fee_cents == 0
        vehicle.refresh_from_db()
        assert vehicle.stickers == number and vehicle.city == f"Ville {number}"
        assert register.address_change_outcome(application)["result"] == "etiquette"
    # The fourth: a new certificate, the redevance d'acheminement to pay, a new formule once accepted.
    fourth = titles_services.create_draft(registry.get(CHANGEMENT_ADRESSE), applicant=seller, filed_by=seller)
    fill(fourth, "vehicule", owner_data(vehicle, seller))
    assert [line.cents for line in fourth.procedure.fee_lines(fourth)] == [276]
    with django_capture_on_commit_callbacks(execute=True):
        application = change_address(seller, vehicle, city="Fréjus", postal_code="83600")
    assert application.fee_cents == 276
    assert GeneratedDocument.objects.get(application=application, kind="accuse-adresse").status == "ready"
    assert not GeneratedDocument.objects.filter(application=application, kind="cpi").exists()
    assert register.address_change_outcome(application)["result"] == "nouveau_certificat"
    old_formule = vehicle.numero_formule
    titles_services.apply_transition(application, "take", actor=agent)
    titles_services.apply_transition(application, "accept", actor=agent)
    vehicle.refresh_from_db()
    assert vehicle.stickers == 0 and vehicle.numero_formule not in ("", old_formule)
    assert vehicle.certificate_date == timezone.localdate()
    assert list(VehicleOperation.objects.filter(vehicle=vehicle).values_list("kind", flat=True)).count(
        "etiquette") == 3


def test_an_fni_certificate_moves_to_a_new_siv_number(seller, cert, django_capture_on_commit_callbacks):
    vehicle = make_vehicle(seller, registration_number="123 ABC 83", numero_formule="",
                           certificate_date=datetime.date(2008, 11, 5),
                           first_registration_date=datetime.date(2004, 6, 21))
    application = draft(CHANGEMENT_ADRESSE, seller, vehicle, numero_formule="", certificate_date="2008-11-05")
    with django_capture_on_commit_callbacks(execute=True):
        fill(application, "adresse", {"address_line": "5 avenue des Îles", "postal_code": "83400",
                                      "city": "Hyères", "moved_on": timezone.localdate().isoformat()})
        pay_and_submit(application, seller)
    vehicle.refresh_from_db()
    registration = parse_registration(vehicle.registration_number)
    assert registration.is_siv and not registration.provisional and vehicle.registration_number != "123 ABC 83"
    assert VehicleOperation.objects.get(vehicle=vehicle, kind="passage_siv").payload["old"] == "123 ABC 83"
    cpi = GeneratedDocument.objects.get(application=application, kind="cpi")
    assert cpi.status == "ready" and cpi.context["vehicle"]["registration_number"] == vehicle.registration_number
    assert GeneratedDocument.objects.get(application=application, kind="accuse-adresse").status == "ready"
    # The next number of the series is another one.
    other = make_vehicle(seller, registration_number="456 DEF 83", vin="VF1BB0A0H30567890", numero_formule="",
                         certificate_date=datetime.date(2008, 1, 5))
    second = draft(DUPLICATA, seller, other, numero_formule="", certificate_date="2008-01-05")
    fill(second, "motif", {"reason": "perte", "event_date": timezone.localdate().isoformat()})
    add_documents(second, seller)
    pay_and_submit(second, seller)
    other.refresh_from_db()
    assert other.is_siv and other.registration_number != vehicle.registration_number


def test_duplicata_fee_reference_and_formule(client, seller, vehicle, cert, agent,
                                             django_capture_on_commit_callbacks):
    application = draft(DUPLICATA, seller, vehicle)
    assert [(line.label, line.cents) for line in application.procedure.fee_lines(application)] == [
        ("Taxe fixe (Y4)", 1100), ("Redevance d'acheminement du certificat (Y5)", 276)]
    form = application.procedure.get_step_form(application.procedure.steps[1], application, data={
        "reason": "vol", "event_date": timezone.localdate().isoformat()})
    assert not form.is_valid() and "référence de votre déclaration" in str(form.errors)
    fill(application, "motif", {"reason": "vol", "event_date": timezone.localdate().isoformat(),
                                "police_reference": "PV 2026/00412"})
    add_documents(application, seller)
    old_formule = vehicle.numero_formule
    with django_capture_on_commit_callbacks(execute=True):
        application = pay_and_submit(application, seller).application
    assert application.fee_cents == 1376
    assert GeneratedDocument.objects.get(application=application, kind="cpi").status == "ready"
    # The stolen certificate proves nothing any more.
    vehicle.refresh_from_db()
    assert vehicle.numero_formule == ""
    with pytest.raises(attempts.Refused):
        attempts.prove_ownership(registration=vehicle.registration_number, applicant=seller, actor=seller,
                                 family_name=seller.family_name, given_names=seller.given_names,
                                 numero_formule=old_formule)
    titles_services.apply_transition(application, "take", actor=agent)
    titles_services.apply_transition(application, "accept", actor=agent)
    vehicle.refresh_from_db()
    assert vehicle.numero_formule and vehicle.numero_formule != old_formule
    assert attempts.prove_ownership(registration=vehicle.registration_number, applicant=seller, actor=seller,
                                    family_name=seller.family_name, given_names="Angela",
                                    numero_formule=vehicle.numero_formule).vehicle == vehicle


def test_duplicata_by_vin_needs_the_account_of_the_holder(seller, cert):
    unlinked = make_vehicle(registration_number="LM-456-NP", vin="VF3CCHMZ6KW054321", numero_formule="2023LM00001")
    Holder.objects.create(vehicle=unlinked, family_name="DUBOIS", given_names="ANGELA CLAIRE LOUISE")
    application = titles_services.create_draft(registry.get(DUPLICATA), applicant=seller, filed_by=seller)
    step = application.procedure.steps[0]
    data = {"registration_number": unlinked.registration_number, "numero_formule": unlinked.vin,
            "family_name": "Dubois", "given_names": "Angela"}
    form = application.procedure.get_step_form(step, application, data=data)
    assert not form.is_valid() and attempts.OWNERSHIP_REFUSED in str(form.errors).replace("&#x27;", "'")
    # With the formule, the name as printed is enough (no account is linked to this holder).
    form = application.procedure.get_step_form(step, application, data={**data, "numero_formule": "2023LM00001"})
    assert form.is_valid(), form.errors


@pytest.mark.parametrize("change", [
    {"numero_formule": "2023KR04716"},  # wrong formule
    {"family_name": "Durand"},  # wrong name
    {"given_names": "Claire"},  # given names not in the printed order
    {"registration_number": "FG-417-KS"},  # another plate
])
def test_a_wrong_proof_gets_the_generic_message(seller, vehicle, change):
    application = titles_services.create_draft(registry.get(CESSION), applicant=seller, filed_by=seller)
    form = application.procedure.get_step_form(application.procedure.steps[0], application,
                                               data={**owner_data(vehicle, seller), **change})
    assert not form.is_valid()
    assert form.non_field_errors() == [attempts.OWNERSHIP_REFUSED]


def test_a_citizen_cannot_act_on_a_vehicle_that_is_not_theirs(client, seller, vehicle, cert):
    # Karim knows the plate, the formule and Angela's name as printed: the register links the holder to
    # Angela's account, so nothing proves it is his.
    karim = UserFactory(family_name="Benali", given_names="Karim")
    for code in (CESSION, CHANGEMENT_ADRESSE, DUPLICATA):
        application = titles_services.create_draft(registry.get(code), applicant=karim, filed_by=karim)
        form = application.procedure.get_step_form(application.procedure.steps[0], application,
                                                   data=owner_data(vehicle, seller))
        assert not form.is_valid() and form.non_field_errors() == [attempts.OWNERSHIP_REFUSED]
    client.force_login(karim)
    assert client.post(reverse("vehicles:start_for_vehicle", args=[vehicle.pk, "cession"])).status_code == 404
    assert vehicle.registration_number not in client.get(reverse("vehicles:my_vehicles")).content.decode()
    # And over HTTP, through the engine's wizard.
    response = client.post(reverse("titles:start", kwargs={"code": CESSION}))
    page = client.post(response.url, owner_data(vehicle, seller)).content.decode()
    assert "ne correspondent à aucun véhicule" in page
    assert Vehicle.objects.get(pk=vehicle.pk).cessions.count() == 0


def test_a_stolen_or_opposed_vehicle_cannot_be_sold(seller, vehicle, cert):
    vehicle.opposition = True
    vehicle.save()
    application = draft(CESSION, seller, vehicle)
    assert "opposition" in " ".join(application.procedure.validate_submission(application))
    with pytest.raises(InvalidTransition):
        titles_services.apply_transition(application, "submit", actor=seller)


def test_files_go_to_the_cert_of_the_applicants_departement(seller, vehicle):
    nimes = OrganisationFactory(cert=True, name="CERT de Nîmes")
    paris = OrganisationFactory(cert=True, name="CERT de Paris")
    RoutingRule.objects.create(title=VEHICLE, departement="83", cert=nimes)
    RoutingRule.objects.create(title=VEHICLE, departement="", cert=paris)
    application = change_address(seller, vehicle)
    assert application.cert == nimes  # the seller lives in Toulon (83)
    seller.postal_code, seller.city = "75011", "Paris"
    seller.save()
    application = change_address(seller, vehicle)
    assert application.cert == paris
