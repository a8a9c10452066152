"""Professionnels de l'automobile habilités: they file cessions and changements de titulaire for a client under
a mandate, only once an administrator validated their habilitation; the client is told, with a way to object;
the professional prints the CPI at once and sees its own organisation's operations, never another's."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.enums import Role
from tests.conftest import verified
from tests.factories import MembershipFactory, OrganisationFactory
from tests.vehicles.conftest import add_documents, card_form, declare_cession, fill, make_vehicle, owner_data
from titles import services as titles_services
from titles.enums import ConsentMethod
from titles.models import Application, ApplicationEvent, GeneratedDocument, Mandate
from titles.registry import registry
from titles.workflow import Actor, Status
from vehicles.enums import CESSION, CHANGEMENT_TITULAIRE
from vehicles.models import Cession

pytestmark = pytest.mark.django_db


def garage(**kwargs):
    organisation = OrganisationFactory(pro_auto=True, name=kwargs.pop("name", "Garage de Provence"), **kwargs)
    return organisation, verified(MembershipFactory(organisation=organisation, role=Role.MANAGER).user)


def mandate(citizen, organisation, procedures=(CESSION, CHANGEMENT_TITULAIRE)):
    now = timezone.now()
    return Mandate.objects.create(citizen=citizen, organisation=organisation, procedures=list(procedures),
                                  consent_method=ConsentMethod.ELECTRONIC, valid_until=now + datetime.timedelta(
                                      days=30), created_by=citizen, confirmed_at=now)


def start_url(code, given):
    return reverse("titles:start", kwargs={"code": code}) + f"?mandat={given.pk}"


def test_a_professional_files_a_cession_for_a_client(verified_client, seller, buyer, vehicle, cert,
                                                     django_capture_on_commit_callbacks):
    organisation, staff = garage()
    given = mandate(seller, organisation)
    client = verified_client(staff)
    page = client.get(reverse("vehicles:pro")).content.decode()
    assert seller.get_full_name() in page and start_url(CESSION, given).replace("&", "&amp;") in page

    response = client.post(reverse("titles:start", kwargs={"code": CESSION}), {"mandat": given.pk})
    application = Application.objects.get(organisation=organisation)
    assert application.applicant == seller and application.filed_by == staff
    assert response.url.endswith("/etape/vehicule/")
    # The professional has the card in hand: plate, formule, the client's name as printed.
    assert client.post(response.url, owner_data(vehicle, seller)).status_code == 302
    sold_at = timezone.localtime() - datetime.timedelta(hours=1)
    client.post(response.url.replace("vehicule", "cession"), {
        "sold_on": sold_at.date().isoformat(), "sold_time": sold_at.strftime("%H:%M"), "mileage": "12000"})
    client.post(response.url.replace("vehicule", "acquereur"), {
        "buyer_kind": "company", "company_name": "Occasions du Var", "siren": "732 829 320"})
    recap = reverse("titles:recap", kwargs={"reference": application.reference})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(recap)
    assert response.status_code == 302
    cession = Cession.objects.get()
    assert cession.buyer_siren == "732829320" and cession.application == application

    # The client is told what was filed in their name, with the way to object.
    told = [m for m in mail.outbox if m.to == [seller.email] and "Garage de Provence" in m.subject]
    assert len(told) == 1 and "/mes-mandats/" in told[0].body and application.reference in told[0].body
    # The professional prints the accusé (with the code) at once, from its operations page.
    page = client.get(reverse("vehicles:pro")).content.decode()
    accuse = GeneratedDocument.objects.get(application=application, kind="accuse-cession")
    assert application.reference in page and reverse(
        "titles:generated_file", kwargs={"reference": application.reference, "pk": accuse.pk}) in page


def test_a_professional_files_a_changement_de_titulaire_and_prints_the_cpi(
        verified_client, seller, buyer, vehicle, cert, django_capture_on_commit_callbacks):
    _, code = declare_cession(seller, vehicle, buyer=buyer)
    organisation, staff = garage()
    given = mandate(buyer, organisation)
    client = verified_client(staff)
    client.post(reverse("titles:start", kwargs={"code": CHANGEMENT_TITULAIRE}), {"mandat": given.pk})
    application = Application.objects.get(organisation=organisation)
    fill(application, "vehicule", {"registration_number": vehicle.registration_number, "code_de_cession": code})
    fill(application, "titulaire", {"address_line": "3 place du Marché", "postal_code": "83300",
                                    "city": "Draguignan"})
    fill(application, "controle", {})
    add_documents(application, staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("titles:payment", kwargs={"reference": application.reference}), card_form())
    assert response.status_code == 302
    cpi = GeneratedDocument.objects.get(application=application, kind="cpi")
    assert cpi.status == "ready"
    assert reverse("titles:generated_file", kwargs={"reference": application.reference, "pk": cpi.pk}) in (
        client.get(reverse("vehicles:pro")).content.decode())
    response = client.get(reverse("titles:generated_file", kwargs={"reference": application.reference,
                                                                    "pk": cpi.pk}))
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")


def test_without_a_validated_habilitation_a_professional_cannot_file(verified_client, seller, cert):
    organisation, staff = garage(not_validated=True)
    given = mandate(seller, organisation)
    client = verified_client(staff)
    assert client.get(start_url(CESSION, given)).status_code == 404
    response = client.post(reverse("titles:start", kwargs={"code": CESSION}), {"mandat": given.pk})
    assert response.status_code == 404 and not Application.objects.exists()
    assert "pas encore validée" in client.get(reverse("vehicles:pro")).content.decode()


def test_without_a_mandate_a_professional_cannot_file(verified_client, seller, buyer, cert):
    organisation, staff = garage()
    other, _ = garage(name="Autre garage")
    client = verified_client(staff)
    # Another organisation's mandate, a mandate that does not cover the procedure, a revoked one, none at all.
    elsewhere = mandate(seller, other)
    narrow = mandate(buyer, organisation, procedures=[CHANGEMENT_TITULAIRE])
    revoked = mandate(seller, organisation)
    revoked.revoked_at = timezone.now()
    revoked.save()
    for given in (elsewhere, narrow, revoked):
        assert client.get(start_url(CESSION, given)).status_code == 404
    # Without a mandate, a professional only files for themself — never for a client.
    client.post(reverse("titles:start", kwargs={"code": CESSION}))
    assert not Application.objects.exclude(applicant=staff).exists()


def test_a_professional_sees_only_its_own_operations(verified_client, seller, buyer, vehicle, cert):
    organisation, staff = garage()
    other, other_staff = garage(name="Garage concurrent")
    application, _ = declare_cession(seller, vehicle, buyer=buyer, filed_by=staff,
                                     organisation=organisation, mandate=mandate(seller, organisation))
    client = verified_client(other_staff)
    page = client.get(reverse("vehicles:pro")).content.decode()
    assert application.reference not in page and "Aucun dossier" in page
    assert client.get(reverse("titles:detail", kwargs={"reference": application.reference})).status_code == 404
    client = verified_client(staff)
    assert application.reference in client.get(reverse("vehicles:pro")).content.decode()


def test_the_operations_page_needs_a_second_factor_and_a_professional(client, verified_client, seller):
    _, staff = garage()
    client.force_login(staff)
    response = client.get(reverse("vehicles:pro"))
    assert response.status_code == 302 and "/compte/" in response.url
    assert verified_client(seller).get(reverse("vehicles:pro")).status_code in (302, 404)


def test_operations_page_query_count_is_constant(verified_client, seller, buyer, cert, django_assert_max_num_queries):
    organisation, staff = garage()
    given = mandate(seller, organisation)
    client = verified_client(staff)
    vehicles = [make_vehicle(seller, registration_number=f"PQ-{n:03d}-RS", vin=f"VF3CCHMZ6KW1{n:05d}",
                             numero_formule=f"2023PQ{n:05d}") for n in range(1, 7)]
    declare_cession(seller, vehicles[0], buyer=buyer, filed_by=staff, organisation=organisation, mandate=given)
    client.get(reverse("vehicles:pro"))
    with django_assert_max_num_queries(40) as first:
        client.get(reverse("vehicles:pro"))
    for other in vehicles[1:]:
        declare_cession(seller, other, buyer=buyer, filed_by=staff, organisation=organisation, mandate=given)
    with django_assert_max_num_queries(len(first.captured_queries)):
        client.get(reverse("vehicles:pro"))


def test_a_professional_without_the_second_factor_sees_no_cession_of_its_clients(
        client, verified_client, seller, buyer, vehicle, cert, django_capture_on_commit_callbacks):
    """Issue 11, 2.1: the password alone opens nothing of a client's cession, not even the accusé with the code."""
    organisation, staff = garage()
    given = mandate(seller, organisation)
    with django_capture_on_commit_callbacks(execute=True):
        filed, _ = declare_cession(seller, vehicle, buyer=buyer, filed_by=staff, organisation=organisation,
                                   mandate=given)
    accuse = GeneratedDocument.objects.get(application=filed, kind="accuse-cession")
    draft = titles_services.create_draft(registry.get(CESSION), applicant=seller, filed_by=staff,
                                         organisation=organisation, mandate=given)
    urls = [
        reverse("titles:generated_file", kwargs={"reference": filed.reference, "pk": accuse.pk}),
        reverse("titles:detail", kwargs={"reference": filed.reference}),
        reverse("vehicles:cession_code", kwargs={"reference": filed.reference}),
        reverse("vehicles:declare_cession", kwargs={"reference": draft.reference}),
    ]
    client.force_login(type(staff).objects.get(pk=staff.pk))  # signed in with the password alone
    for url in urls:
        assert client.get(url).status_code == 404, url
    response = client.post(urls[-1], {})
    assert response.status_code == 404
    response = client.get(reverse("vehicles:pro"))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:otp_verify"))

    client = verified_client(staff)  # with it, as before
    for url in urls:
        response = client.get(url)
        if response.streaming:
            assert b"".join(response.streaming_content).startswith(b"%PDF")
        assert response.status_code == 200, url


def test_a_professional_declaring_on_the_one_page_leaves_an_event_naming_both_for_each_step(
        verified_client, seller, buyer, vehicle, cert, django_capture_on_commit_callbacks):
    """The one-page declaration saves each step like the wizard does: an act for the client names the garage's
    member and the client (it saved the steps without naming anyone)."""
    organisation, staff = garage()
    given = mandate(seller, organisation)
    draft = titles_services.create_draft(registry.get(CESSION), applicant=seller, filed_by=staff,
                                         organisation=organisation, mandate=given)
    sold_at = timezone.localtime() - datetime.timedelta(hours=3)
    form = {f"vehicule-{key}": value for key, value in owner_data(vehicle, seller).items()}
    form.update({
        "cession-sold_on": sold_at.date().isoformat(), "cession-sold_time": sold_at.strftime("%H:%M"),
        "cession-mileage": "84200",
        "acquereur-buyer_kind": "person", "acquereur-family_name": buyer.family_name,
        "acquereur-given_names": buyer.given_names, "acquereur-email": buyer.email,
    })
    with django_capture_on_commit_callbacks(execute=True):
        response = verified_client(staff).post(
            reverse("vehicles:declare_cession", kwargs={"reference": draft.reference}), form)
    assert response.status_code == 302
    steps = ApplicationEvent.objects.filter(application=draft, kind="step_saved").order_by("pk")
    assert [event.payload["step"] for event in steps] == ["vehicule", "cession", "acquereur"]
    assert {(e.actor, e.actor_role, e.acting_for, e.organisation) for e in steps} == {
        (staff, Actor.FILER, seller, organisation)}
    draft.refresh_from_db()
    assert draft.status == Status.SUBMITTED
