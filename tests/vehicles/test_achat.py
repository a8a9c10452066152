"""A habilitated professional's déclaration d'achat (cerfa 13751), filed in its own name, puts the vehicle in its
stock; its registration for a buyer, under the buyer's mandate, takes the vehicle out of that stock. Every way out
undoes what the submission wrote."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.enums import Role
from accounts.models import Organisation
from tests.conftest import verified
from tests.factories import MembershipFactory, OrganisationFactory
from tests.vehicles.conftest import add_documents, card_form, fill, jpeg_upload, owner_data
from titles import services as titles_services
from titles.enums import ConsentMethod
from titles.models import Application, GeneratedDocument, Mandate
from titles.registry import registry
from titles.workflow import InvalidTransition, Status
from vehicles.achat import NOT_THE_BUYER
from vehicles.enums import CESSION, CHANGEMENT_TITULAIRE_STOCK, DECLARATION_ACHAT, OperationKind
from vehicles.models import Cession, StockEntry, VehicleOperation

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 27, 10, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))
SIRET = "73282932000074"
REASON = "Motif de test : la carte grise barrée est illisible."


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def garage(db):
    return OrganisationFactory(pro_auto=True, name="Garage de Provence", siret=SIRET, departement="83")


@pytest.fixture
def staff(garage):
    return MembershipFactory(organisation=garage, role=Role.MANAGER).user


@pytest.fixture
def agent(cert):
    return verified(MembershipFactory(organisation=cert, role=Role.AGENT).user)


def sell_to_garage(seller, vehicle, *, siren=SIRET[:9], hours_ago=3):
    """The seller declares the cession to a company (the garage's SIREN); return the plain code de cession."""
    application = titles_services.create_draft(registry.get(CESSION), applicant=seller, filed_by=seller)
    fill(application, "vehicule", owner_data(vehicle, seller))
    sold_at = timezone.localtime() - datetime.timedelta(hours=hours_ago)
    fill(application, "cession", {"sold_on": sold_at.date().isoformat(), "sold_time": sold_at.strftime("%H:%M"),
                                  "mileage": "84200"})
    fill(application, "acquereur", {"buyer_kind": "company", "company_name": "Garage de Provence", "siren": siren})
    return titles_services.apply_transition(application, "submit", actor=seller).facts["code_de_cession"]


def vehicle_garage():
    return Organisation.objects.get(siret=SIRET)


def declare_purchase(client, vehicle, code, captured):
    """File the déclaration d'achat through the web views, as a member of the garage; return the file."""
    response = client.post(reverse("vehicles:start_purchase"), {"organisation": vehicle_garage().pk})
    assert response.status_code == 302
    application = Application.objects.get(procedure_code=DECLARATION_ACHAT)
    assert response.url == reverse("titles:step", kwargs={"reference": application.reference, "slug": "vehicule"})
    response = client.post(response.url, {"registration_number": vehicle.registration_number,
                                          "code_de_cession": code, "mileage": "84250"})
    assert response.status_code == 302, response.content.decode()
    documents = reverse("titles:documents", kwargs={"reference": application.reference})
    assert client.post(documents, {"certificat_barre": jpeg_upload()}).status_code == 302
    with captured(execute=True):
        response = client.post(reverse("titles:recap", kwargs={"reference": application.reference}))
    assert response.status_code == 302
    application.refresh_from_db()
    return application


def test_a_garage_declares_a_purchase_in_its_own_name_and_the_vehicle_enters_its_stock(
        verified_client, seller, vehicle, cert, garage, staff, django_capture_on_commit_callbacks):
    code = sell_to_garage(seller, vehicle)
    client = verified_client(staff)
    page = client.get(reverse("vehicles:pro")).content.decode()
    assert "Déclarer un achat" in page and "Aucun véhicule en stock" in page

    application = declare_purchase(client, vehicle, code, django_capture_on_commit_callbacks)
    assert application.status == Status.SUBMITTED
    # In the garage's own name: no mandate, no client; routed by the garage's département.
    assert application.organisation == garage and application.mandate is None and application.cert == cert
    entry = StockEntry.objects.get()
    assert entry.vehicle == vehicle and entry.organisation == garage and entry.mileage == 84250
    assert entry.left_at is None and entry.cancelled_at is None
    assert Cession.objects.get().used_by_application == application
    assert not vehicle.holders.current().exists()  # the seller no longer holds it
    assert VehicleOperation.objects.filter(vehicle=vehicle, kind=OperationKind.DECLARATION_ACHAT).count() == 1
    accuse = GeneratedDocument.objects.get(application=application, kind="accuse-achat")
    assert accuse.status == "ready" and accuse.context["buyer_siren"] == SIRET[:9]

    page = client.get(reverse("vehicles:pro")).content.decode()
    assert vehicle.registration_number in page and "Votre entreprise" in page
    assert "Véhicule en stock" in client.get(reverse("titles:detail", kwargs={
        "reference": application.reference})).content.decode()


def test_a_purchase_is_the_garages_every_member_with_the_second_factor_only(
        client, verified_client, seller, vehicle, cert, garage, staff, django_capture_on_commit_callbacks):
    code = sell_to_garage(seller, vehicle)
    application = declare_purchase(verified_client(staff), vehicle, code, django_capture_on_commit_callbacks)
    detail = reverse("titles:detail", kwargs={"reference": application.reference})
    colleague = MembershipFactory(organisation=garage).user
    assert verified_client(colleague).get(detail).status_code == 200
    # The member who opened it, with the password alone: nothing (the file is the garage's, not theirs).
    for member in (staff, colleague):
        client.force_login(type(member).objects.get(pk=member.pk))
        assert client.get(detail).status_code == 404
        assert not Application.objects.for_user(member).exists()
    # Another garage, and the seller, never.
    other = MembershipFactory(organisation=OrganisationFactory(pro_auto=True)).user
    assert verified_client(other).get(detail).status_code == 404
    assert verified_client(seller).get(detail).status_code == 404
    # Once they leave the garage, the member who opened it reaches it no more.
    staff.memberships.update(is_active=False)
    assert verified_client(staff).get(detail).status_code == 404


def test_the_code_unlocks_a_purchase_only_for_the_declared_company(verified_client, seller, vehicle, cert, garage,
                                                                   staff):
    code = sell_to_garage(seller, vehicle, siren="552100554")  # another company
    client = verified_client(staff)
    client.post(reverse("vehicles:start_purchase"), {"organisation": garage.pk})
    application = Application.objects.get(procedure_code=DECLARATION_ACHAT)
    response = client.post(reverse("titles:step", kwargs={"reference": application.reference, "slug": "vehicule"}),
                           {"registration_number": vehicle.registration_number, "code_de_cession": code,
                            "mileage": "84250"})
    assert NOT_THE_BUYER.replace("'", "&#x27;") in response.content.decode()
    assert not StockEntry.objects.exists() and Cession.objects.get().used_by_application is None


def test_a_late_purchase_must_be_acknowledged(verified_client, seller, vehicle, cert, garage, staff, frozen):
    code = sell_to_garage(seller, vehicle, hours_ago=3)
    frozen.shift(datetime.timedelta(days=16))  # the code is valid 15 × 24 h: declared on day 14, late from day 16
    client = verified_client(staff)
    client.post(reverse("vehicles:start_purchase"), {"organisation": garage.pk})
    application = Application.objects.get(procedure_code=DECLARATION_ACHAT)
    url = reverse("titles:step", kwargs={"reference": application.reference, "slug": "vehicule"})
    response = client.post(url, {"registration_number": vehicle.registration_number, "code_de_cession": code,
                                 "mileage": "84250"})
    assert "expiré" in response.content.decode()


def test_an_unvalidated_garage_cannot_declare_a_purchase(verified_client, cert):
    pending = OrganisationFactory(pro_auto=True, not_validated=True)
    member = MembershipFactory(organisation=pending).user
    response = verified_client(member).post(reverse("vehicles:start_purchase"), {"organisation": pending.pk})
    assert response.status_code == 302 and not Application.objects.exists()
    # The start page sends a garage to its space instead of opening a file without a mandate.
    page = verified_client(member).get(reverse("titles:start", kwargs={"code": DECLARATION_ACHAT})).content.decode()
    assert reverse("vehicles:pro") in page


@pytest.mark.parametrize("way_out", ["withdraw", "reject", "close"])
def test_a_purchase_that_ends_gives_the_vehicle_back_to_the_seller(
        way_out, verified_client, seller, vehicle, cert, garage, staff, agent, django_capture_on_commit_callbacks):
    code = sell_to_garage(seller, vehicle)
    client = verified_client(staff)
    application = declare_purchase(client, vehicle, code, django_capture_on_commit_callbacks)
    if way_out == "withdraw":  # by the garage, from the file's page
        response = client.post(reverse("titles:withdraw", kwargs={"reference": application.reference}),
                               {"confirm": "on"})
        assert response.status_code == 302
    elif way_out == "reject":
        titles_services.apply_transition(application, "take", actor=agent)
        titles_services.apply_transition(application, "reject", actor=agent, reason=REASON)
    else:
        titles_services.apply_transition(application, "close", actor=None, reason=REASON)
    application.refresh_from_db()
    assert application.status in (Status.WITHDRAWN, Status.REJECTED)
    entry = StockEntry.objects.get()
    assert entry.cancelled_at is not None and not StockEntry.objects.current().exists()
    assert [h.user for h in vehicle.holders.current()] == [seller]
    assert Cession.objects.get().used_by_application is None  # the code is free again
    assert VehicleOperation.objects.filter(vehicle=vehicle, kind=OperationKind.ANNULATION).count() == 1


def stock_mandate(buyer, garage):
    now = timezone.now()
    return Mandate.objects.create(citizen=buyer, organisation=garage, procedures=[CHANGEMENT_TITULAIRE_STOCK],
                                  consent_method=ConsentMethod.ELECTRONIC, valid_until=now + datetime.timedelta(
                                      days=30), created_by=buyer, confirmed_at=now)


def sell_from_stock(client, vehicle, buyer, garage, staff, captured):
    given = stock_mandate(buyer, garage)
    page = client.get(reverse("vehicles:pro")).content.decode()
    start = reverse("titles:start", kwargs={"code": CHANGEMENT_TITULAIRE_STOCK}) + f"?mandat={given.pk}"
    assert start.replace("&", "&amp;") in page
    response = client.post(reverse("titles:start", kwargs={"code": CHANGEMENT_TITULAIRE_STOCK}),
                           {"mandat": given.pk})
    application = Application.objects.get(procedure_code=CHANGEMENT_TITULAIRE_STOCK)
    assert application.applicant == buyer and application.mandate == given
    entry = StockEntry.objects.current().get(vehicle=vehicle)
    response = client.post(response.url, {"stock_entry": entry.pk, "sold_on": timezone.localdate().isoformat()})
    assert response.status_code == 302, response.content.decode()
    response = client.post(response.url, {"address_line": buyer.address_line, "postal_code": buyer.postal_code,
                                          "city": buyer.city})
    assert response.status_code == 302, response.content.decode()
    response = client.post(response.url, {"ct_date": ""})
    assert response.status_code == 302, response.content.decode()
    add_documents(application, staff)
    response = client.post(reverse("titles:recap", kwargs={"reference": application.reference}))
    assert response.url == reverse("titles:payment", kwargs={"reference": application.reference})
    with captured(execute=True):
        response = client.post(response.url, card_form())
    assert response.status_code == 302
    application.refresh_from_db()
    return application


def test_the_garage_registers_a_vehicle_of_its_stock_for_its_buyer(
        verified_client, seller, buyer, vehicle, cert, garage, staff, django_capture_on_commit_callbacks):
    code = sell_to_garage(seller, vehicle)
    client = verified_client(staff)
    purchase = declare_purchase(client, vehicle, code, django_capture_on_commit_callbacks)
    sale = sell_from_stock(client, vehicle, buyer, garage, staff, django_capture_on_commit_callbacks)
    assert sale.status == Status.SUBMITTED
    assert [h.user for h in vehicle.holders.current()] == [buyer]
    entry = StockEntry.objects.get()
    assert entry.sold_by_application == sale and entry.left_at == timezone.now()
    assert GeneratedDocument.objects.get(application=sale, kind="cpi").status == "ready"
    assert "Aucun véhicule en stock" in client.get(reverse("vehicles:pro")).content.decode()
    # Once sold, the purchase can no longer be undone: the sale must end first.
    with pytest.raises(InvalidTransition):
        titles_services.apply_transition(purchase, "close", actor=None, reason=REASON)


@pytest.mark.parametrize("way_out", ["withdraw", "reject", "close"])
def test_a_sale_from_stock_that_ends_puts_the_vehicle_back_in_stock(
        way_out, verified_client, seller, buyer, vehicle, cert, garage, staff, agent,
        django_capture_on_commit_callbacks):
    code = sell_to_garage(seller, vehicle)
    client = verified_client(staff)
    declare_purchase(client, vehicle, code, django_capture_on_commit_callbacks)
    sale = sell_from_stock(client, vehicle, buyer, garage, staff, django_capture_on_commit_callbacks)
    if way_out == "withdraw":  # the buyer, whose file it is
        titles_services.apply_transition(sale, "withdraw", actor=buyer)
    elif way_out == "reject":
        titles_services.apply_transition(sale, "take", actor=agent)
        titles_services.apply_transition(sale, "reject", actor=agent, reason=REASON)
    else:
        titles_services.apply_transition(sale, "close", actor=None, reason=REASON)
    assert not vehicle.holders.current().exists()
    entry = StockEntry.objects.current().get()
    assert entry.sold_by_application is None
    vehicle.refresh_from_db()
    assert vehicle.numero_formule == "2023KR04715"  # the certificate as it was
