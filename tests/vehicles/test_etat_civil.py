"""Carte grise: changement d'état civil and ajout / retrait d'un cotitulaire (issue 13), over HTTP: the register
changes on submission, is put back on every way out, and a new certificate is issued on acceptance."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from accounts.enums import Role
from tests.conftest import verified
from tests.factories import MembershipFactory
from tests.vehicles.conftest import card_form, jpeg_upload, make_vehicle
from titles import services as titles_services
from titles.models import Application, GeneratedDocument
from titles.workflow import Status
from vehicles.enums import CHANGEMENT_ETAT_CIVIL, COTITULAIRE, HolderRole, OperationKind
from vehicles.models import Holder, VehicleOperation

pytestmark = pytest.mark.django_db

NOON = datetime.datetime(2026, 3, 10, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def agent(cert):
    return verified(MembershipFactory(organisation=cert, role=Role.AGENT).user)


def owner(vehicle, **overrides):
    return {"registration_number": vehicle.registration_number, "numero_formule": vehicle.numero_formule,
            "family_name": "Dubois", "given_names": "Angela", **overrides}


def file_over_http(client, user, vehicle, code, slug, data, documents, capture):
    """Start from « Mes véhicules », fill both steps, the documents, pay the fee shown, submit; return the file and
    the payment page's text."""
    client.force_login(user)
    response = client.post(reverse("vehicles:start_for_vehicle", args=[vehicle.pk, code]))
    application = Application.objects.get(applicant=user, procedure_code=code, status=Status.DRAFT)
    response = client.post(response.url, owner(vehicle))
    assert response.status_code == 302, response.content.decode()[:3000]
    response = client.post(response.url, data)
    assert response.url == reverse("titles:documents", kwargs={"reference": application.reference}), (
        response.content.decode()[-3000:] if response.status_code == 200 else response.url)
    response = client.post(response.url, documents)
    payment_url = reverse("titles:payment", kwargs={"reference": application.reference})
    assert response.url == reverse("titles:recap", kwargs={"reference": application.reference})
    payment_page = client.get(payment_url).content.decode()
    with capture(execute=True):
        response = client.post(payment_url, card_form())
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED, application.status
    return application, payment_page


@time_machine.travel(NOON, tick=False)
def test_a_name_taken_at_marriage_goes_on_the_card_and_back_on_withdrawal(client, seller, vehicle, cert,
                                                                         django_capture_on_commit_callbacks):
    data = {"reason": "marriage", "new_family_name": "Martin-Dubois", "new_given_names": "Angela Claire Louise",
            "changed_on": "2026-02-14"}
    application, payment = file_over_http(client, seller, vehicle, CHANGEMENT_ETAT_CIVIL, "etat-civil", data,
                                          {"identity": jpeg_upload(), "civil_status": jpeg_upload()},
                                          django_capture_on_commit_callbacks)
    # Free of the regional tax: taxe fixe and acheminement only.
    assert "non due : changement d&#x27;état civil" in payment and "13,76 €" in payment
    assert application.fee_cents == 1376
    holder = vehicle.holders.current().get()
    assert holder.printed_name == "MARTIN-DUBOIS ANGELA CLAIRE LOUISE"
    assert GeneratedDocument.objects.filter(application=application, kind="recepisse").exists()
    assert not GeneratedDocument.objects.filter(application=application, kind="cpi").exists()  # SIV: no CPI

    titles_services.apply_transition(application, "withdraw", actor=seller)
    holder.refresh_from_db()
    assert holder.printed_name == "DUBOIS ANGELA CLAIRE LOUISE"
    assert VehicleOperation.objects.filter(application=application, kind=OperationKind.ANNULATION).count() == 1


@time_machine.travel(NOON, tick=False)
def test_the_change_is_refused_by_the_cert_and_undone_or_accepted_with_a_new_certificate(
        client, seller, vehicle, cert, agent, django_capture_on_commit_callbacks):
    data = {"reason": "divorce", "new_family_name": "Leroy", "new_given_names": "Angela", "changed_on": "2026-01-05"}
    application, _ = file_over_http(client, seller, vehicle, CHANGEMENT_ETAT_CIVIL, "etat-civil", data,
                                    {"identity": jpeg_upload(), "civil_status": jpeg_upload()},
                                    django_capture_on_commit_callbacks)
    titles_services.apply_transition(application, "take", actor=agent)
    titles_services.apply_transition(application, "reject", actor=agent, reason="Justificatif illisible.")
    assert vehicle.holders.current().get().family_name == "DUBOIS"

    # Filed again and accepted: the new name stays and the certificate gets a new numéro de formule.
    again, _ = file_over_http(client, seller, vehicle, CHANGEMENT_ETAT_CIVIL, "etat-civil", data,
                              {"identity": jpeg_upload(), "civil_status": jpeg_upload()},
                              django_capture_on_commit_callbacks)
    old_formule = vehicle.numero_formule
    titles_services.apply_transition(again, "take", actor=agent)
    titles_services.apply_transition(again, "accept", actor=agent)
    vehicle.refresh_from_db()
    assert vehicle.holders.current().get().family_name == "LEROY"
    assert vehicle.numero_formule and vehicle.numero_formule != old_formule


def test_the_typed_name_must_differ_from_the_printed_one(client, seller, vehicle, cert):
    client.force_login(seller)
    response = client.post(reverse("vehicles:start_for_vehicle", args=[vehicle.pk, CHANGEMENT_ETAT_CIVIL]))
    step2 = client.post(response.url, owner(vehicle)).url
    response = client.post(step2, {"reason": "name", "new_family_name": "dubois",
                                   "new_given_names": "Angela Claire Louise", "changed_on": "2020-01-01"})
    assert response.status_code == 422 and "sont déjà ceux inscrits" in response.content.decode()


@time_machine.travel(NOON, tick=False)
def test_adding_the_spouse_is_free_of_the_regional_tax_and_undone_on_withdrawal(
        client, seller, vehicle, cert, django_capture_on_commit_callbacks):
    data = {"operation": "add", "reason": "couple", "family_name": "Martin", "given_names": "Paul"}
    application, payment = file_over_http(client, seller, vehicle, COTITULAIRE, "cotitulaire", data,
                                          {"identity": jpeg_upload(), "cotitulaire_proof": jpeg_upload()},
                                          django_capture_on_commit_callbacks)
    assert "ajout du conjoint ou du partenaire" in payment and application.fee_cents == 1376
    added = vehicle.holders.current().get(role=HolderRole.COTITULAIRE)
    assert added.printed_name == "MARTIN PAUL"
    titles_services.apply_transition(application, "withdraw", actor=seller)
    added.refresh_from_db()
    assert added.until is not None  # off the card, kept in the history
    assert list(vehicle.holders.current().values_list("role", flat=True)) == [HolderRole.TITULAIRE]


@time_machine.travel(NOON, tick=False)
def test_adding_someone_else_pays_the_regional_tax(client, seller, vehicle, cert,
                                                   django_capture_on_commit_callbacks):
    data = {"operation": "add", "reason": "other", "family_name": "Martin", "given_names": "Paul"}
    application, payment = file_over_http(client, seller, vehicle, COTITULAIRE, "cotitulaire", data,
                                          {"identity": jpeg_upload(), "cotitulaire_proof": jpeg_upload()},
                                          django_capture_on_commit_callbacks)
    # PACA, 5 CV × 60 €, a 2-year-old car: 300 € + 13,76 €.
    assert "Taxe régionale (Y1) — 5 CV × 60 €" in payment and application.fee_cents == 31376


@time_machine.travel(NOON, tick=False)
def test_removing_a_cotitulaire_and_the_cert_refusal_puts_them_back(client, seller, cert, agent,
                                                                   django_capture_on_commit_callbacks):
    vehicle = make_vehicle(seller)
    ex = Holder.objects.create(vehicle=vehicle, role=HolderRole.COTITULAIRE, family_name="MARTIN",
                               given_names="PAUL")
    data = {"operation": "remove", "reason": "separation", "holder": str(ex.pk)}
    application, payment = file_over_http(client, seller, vehicle, COTITULAIRE, "cotitulaire", data,
                                          {"identity": jpeg_upload(), "cotitulaire_proof": jpeg_upload()},
                                          django_capture_on_commit_callbacks)
    assert "retrait d&#x27;un cotitulaire" in payment and application.fee_cents == 1376
    ex.refresh_from_db()
    assert ex.until is not None
    titles_services.apply_transition(application, "take", actor=agent)
    titles_services.apply_transition(application, "reject", actor=agent, reason="Accord du cotitulaire absent.")
    ex.refresh_from_db()
    assert ex.until is None
    annulation = VehicleOperation.objects.get(application=application, kind=OperationKind.ANNULATION)
    assert "demande refusée par le CERT" in annulation.detail


def test_removing_needs_a_cotitulaire_on_the_card(client, seller, vehicle, cert):
    client.force_login(seller)
    response = client.post(reverse("vehicles:start_for_vehicle", args=[vehicle.pk, COTITULAIRE]))
    step2 = client.post(response.url, owner(vehicle)).url
    response = client.post(step2, {"operation": "remove", "reason": "separation"})
    assert response.status_code == 422 and "Aucun cotitulaire ne figure" in response.content.decode()


def test_an_fni_vehicle_moves_to_siv_with_a_cpi_and_keeps_its_number_on_withdrawal(
        client, seller, cert, django_capture_on_commit_callbacks):
    with time_machine.travel(NOON, tick=False):
        vehicle = make_vehicle(seller, registration_number="123 ABC 83", numero_formule="",
                               certificate_date=datetime.date(2005, 4, 2))
        client.force_login(seller)
        response = client.post(reverse("vehicles:start_for_vehicle", args=[vehicle.pk, CHANGEMENT_ETAT_CIVIL]))
        application = Application.objects.get(applicant=seller, procedure_code=CHANGEMENT_ETAT_CIVIL)
        response = client.post(response.url, owner(vehicle, numero_formule="", certificate_date="2005-04-02"))
        response = client.post(response.url, {"reason": "marriage", "new_family_name": "Martin",
                                              "new_given_names": "Angela", "changed_on": "2026-02-14"})
        response = client.post(response.url, {"identity": jpeg_upload(), "civil_status": jpeg_upload()})
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("titles:payment", kwargs={"reference": application.reference}), card_form())
        vehicle.refresh_from_db()
        assert vehicle.is_siv
        assert GeneratedDocument.objects.filter(application=application, kind="cpi").exists()
        titles_services.apply_transition(application, "withdraw", actor=seller)
        vehicle.refresh_from_db()
        assert vehicle.is_siv and vehicle.holders.current().get().family_name == "DUBOIS"
