"""Every way out (withdraw, reject, close) of a vehicle procedure undoes what its submission wrote in the register."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from accounts.enums import Role
from tests.conftest import verified
from tests.factories import MembershipFactory
from tests.vehicles.conftest import (
    add_documents,
    buyer_draft,
    declare_cession,
    fill,
    make_vehicle,
    owner_data,
    pay_and_submit,
)
from titles import services as titles_services
from titles.models import GeneratedDocument
from titles.registry import registry
from titles.workflow import InvalidTransition, Status
from vehicles import attempts, register
from vehicles.enums import CHANGEMENT_ADRESSE, CHANGEMENT_TITULAIRE, DUPLICATA, OperationKind
from vehicles.models import Cession, Vehicle, VehicleOperation

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 27, 10, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))
REASON = "Motif de test : la pièce est illisible."


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def agent(cert):
    return verified(MembershipFactory(organisation=cert, role=Role.AGENT).user)


def leave(application, way_out, *, citizen, agent):
    """Take the file out by `way_out`, as the person entitled to do it."""
    if way_out == "withdraw":
        return titles_services.apply_transition(application, "withdraw", actor=citizen)
    if way_out == "reject":
        titles_services.apply_transition(application, "take", actor=agent)
        return titles_services.apply_transition(application, "reject", actor=agent, reason=REASON)
    return titles_services.apply_transition(application, "close", actor=None, reason=REASON)


def annulations(vehicle):
    return list(VehicleOperation.objects.filter(vehicle=vehicle, kind=OperationKind.ANNULATION)
                .values_list("detail", flat=True))


@pytest.mark.parametrize("way_out", ["withdraw", "reject", "close"])
def test_a_changement_de_titulaire_that_ends_gives_the_vehicle_back_whole(way_out, seller, buyer, vehicle, cert, agent,
                                                                          django_capture_on_commit_callbacks):
    formule = vehicle.numero_formule
    _, code = declare_cession(seller, vehicle, buyer=buyer)
    first = buyer_draft(buyer, vehicle, code)
    with django_capture_on_commit_callbacks(execute=True):
        pay_and_submit(first, buyer)
    vehicle.refresh_from_db()
    assert [h.user for h in vehicle.holders.current()] == [buyer] and vehicle.numero_formule == ""

    leave(first, way_out, citizen=buyer, agent=agent)

    vehicle.refresh_from_db()
    assert [h.user for h in vehicle.holders.current()] == [seller]
    assert vehicle.numero_formule == formule
    assert (vehicle.address_line, vehicle.city) == ("1 rue de la Paix", "Toulon")
    cession = Cession.objects.get()
    assert cession.used_by_application is None and cession.code_is_valid
    assert len(annulations(vehicle)) == 1 and "Changement de titulaire annulé" in annulations(vehicle)[0]
    # The buyer's CPI stops being valid with the file.
    assert GeneratedDocument.objects.get(application=first, kind="cpi").revoked_at is not None
    # The seller proves ownership again with the card they still hold.
    attempts.prove_ownership(registration=vehicle.registration_number, applicant=seller, actor=seller,
                             family_name=seller.family_name, given_names=seller.given_names, numero_formule=formule)


def test_after_a_withdrawal_the_buyer_files_again_with_the_same_code_and_gets_a_certificate(
        seller, buyer, vehicle, cert, agent, django_capture_on_commit_callbacks):
    _, code = declare_cession(seller, vehicle, buyer=buyer)
    first = buyer_draft(buyer, vehicle, code)
    pay_and_submit(first, buyer)
    titles_services.apply_transition(first, "withdraw", actor=buyer)

    second = buyer_draft(buyer, vehicle, code)
    pay_and_submit(second, buyer)
    assert Cession.objects.get().used_by_application == second
    titles_services.apply_transition(second, "take", actor=agent)
    titles_services.apply_transition(second, "accept", actor=agent)
    vehicle.refresh_from_db()
    assert [h.user for h in vehicle.holders.current()] == [buyer]
    assert vehicle.numero_formule and VehicleOperation.objects.filter(
        vehicle=vehicle, kind=OperationKind.NOUVEAU_CERTIFICAT, application=second).exists()


def test_after_a_withdrawal_past_the_code_s_validity_the_seller_declares_again(seller, buyer, vehicle, cert, frozen):
    _, code = declare_cession(seller, vehicle, buyer=buyer)
    first = buyer_draft(buyer, vehicle, code)
    pay_and_submit(first, buyer)
    titles_services.apply_transition(first, "withdraw", actor=buyer)
    frozen.shift(datetime.timedelta(days=16))
    vehicle.refresh_from_db()
    assert register.sold_refusal(vehicle) is None
    _, new_code = declare_cession(seller, vehicle, buyer=buyer)
    assert new_code != code and Cession.objects.open().count() == 1


@pytest.mark.parametrize("way_out", ["withdraw", "reject"])
def test_a_cession_that_ends_is_cancelled_and_the_seller_may_declare_again(way_out, seller, buyer, vehicle, cert,
                                                                           agent):
    declaration, code = declare_cession(seller, vehicle, buyer=buyer)
    assert register.sold_refusal(vehicle) is not None

    leave(declaration, way_out, citizen=seller, agent=agent)

    cession = Cession.objects.get()
    assert cession.cancelled_at is not None and not cession.code_is_valid
    assert register.sold_refusal(vehicle) is None
    assert "Déclaration de cession annulée" in annulations(vehicle)[0]
    with pytest.raises(attempts.Refused):
        attempts.verify_code_de_cession(registration=vehicle.registration_number, code=code, applicant=buyer,
                                        actor=buyer, application=buyer_draft_stub(buyer), record=False)
    declare_cession(seller, vehicle, buyer=buyer)
    assert Cession.objects.open().count() == 1


def buyer_draft_stub(buyer):
    return titles_services.create_draft(registry.get(CHANGEMENT_TITULAIRE), applicant=buyer, filed_by=buyer)


def test_a_cession_taken_up_by_the_buyer_cannot_be_withdrawn(seller, buyer, vehicle, cert):
    declaration, code = declare_cession(seller, vehicle, buyer=buyer)
    pay_and_submit(buyer_draft(buyer, vehicle, code), buyer)
    with pytest.raises(InvalidTransition) as error:
        titles_services.apply_transition(declaration, "withdraw", actor=seller)
    assert error.value.code == "cession_used"
    declaration.refresh_from_db()
    assert declaration.status == Status.SUBMITTED and Cession.objects.get().cancelled_at is None


def change_address(user, vehicle, **owner):
    application = titles_services.create_draft(registry.get(CHANGEMENT_ADRESSE), applicant=user, filed_by=user)
    fill(application, "vehicule", {**owner_data(vehicle, user), **owner})
    fill(application, "adresse", {"address_line": "5 avenue des Îles", "postal_code": "83400", "city": "Hyères",
                                  "moved_on": (timezone.localdate() - datetime.timedelta(days=3)).isoformat()})
    if application.procedure.fee_total(application):
        pay_and_submit(application, user)
    else:
        titles_services.apply_transition(application, "submit", actor=user)
    return application


@pytest.mark.parametrize("way_out", ["withdraw", "reject", "close"])
def test_a_changement_d_adresse_that_ends_puts_the_old_address_back(way_out, seller, vehicle, cert, agent):
    application = change_address(seller, vehicle)
    vehicle.refresh_from_db()
    assert (vehicle.city, vehicle.stickers) == ("Hyères", 1)

    leave(application, way_out, citizen=seller, agent=agent)

    vehicle.refresh_from_db()
    assert (vehicle.address_line, vehicle.postal_code, vehicle.city, vehicle.stickers) == (
        "1 rue de la Paix", "83000", "Toulon", 0)
    assert annulations(vehicle) == [f"Changement d'adresse annulé ({register.WAY_OUT_WORDS[way_out]}) : retour à "
                                    "l'adresse 1 rue de la Paix, 83000 Toulon"]


def test_a_withdrawn_changement_d_adresse_keeps_the_siv_number_and_says_so(seller, cert):
    vehicle = make_vehicle(seller, registration_number="123 ABC 83", numero_formule="",
                           certificate_date=datetime.date(2008, 11, 5),
                           first_registration_date=datetime.date(2004, 6, 21))
    application = change_address(seller, vehicle, numero_formule="", certificate_date="2008-11-05")
    vehicle.refresh_from_db()
    siv = vehicle.registration_number
    assert siv != "123 ABC 83"
    titles_services.apply_transition(application, "withdraw", actor=seller)
    vehicle.refresh_from_db()
    assert vehicle.registration_number == siv and vehicle.city == "Toulon"
    assert f"le numéro SIV {siv} reste attribué au véhicule" in annulations(vehicle)[0]


@pytest.mark.parametrize("way_out", ["withdraw", "reject", "close"])
def test_a_duplicata_that_ends_gives_the_numero_de_formule_back(way_out, seller, vehicle, cert, agent):
    formule = vehicle.numero_formule
    application = titles_services.create_draft(registry.get(DUPLICATA), applicant=seller, filed_by=seller)
    fill(application, "vehicule", owner_data(vehicle, seller))
    fill(application, "motif", {"reason": "perte", "event_date": timezone.localdate().isoformat()})
    add_documents(application, seller)
    pay_and_submit(application, seller)
    assert Vehicle.objects.get(pk=vehicle.pk).numero_formule == ""

    leave(application, way_out, citizen=seller, agent=agent)

    assert Vehicle.objects.get(pk=vehicle.pk).numero_formule == formule
    assert "Demande de duplicata annulée" in annulations(vehicle)[0]
    # An undo runs once: calling it again changes nothing and writes no second line.
    ctx = type("Ctx", (), {"transition": type("T", (), {"name": way_out}), "now": timezone.now()})()
    register.undo_duplicata(application, ctx)
    assert len(annulations(vehicle)) == 1
