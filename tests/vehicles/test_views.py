"""The public side of the vehicle procedures: start pages, the buyer's landing page, what anonymous users get."""

import pytest
from django.urls import reverse

from tests.vehicles.conftest import declare_cession, fill, owner_data
from titles import services as titles_services
from titles.models import Application
from titles.registry import registry
from vehicles.enums import CESSION, CHANGEMENT_TITULAIRE, PROCEDURE_CODES

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("code", PROCEDURE_CODES)
def test_start_pages(client, citizen, code):
    page = client.get(reverse("titles:start", kwargs={"code": code})).content.decode()
    assert "Se connecter" in page
    client.force_login(citizen)
    response = client.get(reverse("titles:start", kwargs={"code": code}))
    if registry.get(code).start_url:  # filed by a professional in its own name: from its space
        assert response.status_code == 200 and reverse("vehicles:pro") in response.content.decode()
    else:
        assert response.status_code == 200 and "Commencer la démarche" in response.content.decode()


def test_start_page_tells_the_fee_of_a_changement_de_titulaire(client):
    page = client.get(reverse("titles:start", kwargs={"code": CHANGEMENT_TITULAIRE})).content.decode()
    assert "13,76 € plus la taxe régionale" in page


def test_home_lists_the_vehicle_procedures(client):
    page = client.get("/").content.decode()
    assert "Déclaration de cession" in page and "Changement de titulaire" in page


def test_vehicle_pages_need_an_account(client):
    for name in ("vehicles:my_vehicles", "vehicles:acquisition"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/compte/" in response.url


def test_the_buyers_landing_page(client, seller, buyer, vehicle, cert):
    declare_cession(seller, vehicle, buyer=buyer)
    client.force_login(buyer)
    page = client.get(reverse("vehicles:acquisition") + "?immatriculation=fg417kr").content.decode()
    assert "FG-417-KR" in page and "vous a été cédé" in page
    # A mistyped plate in the link is just not pre-filled.
    page = client.get(reverse("vehicles:acquisition") + "?immatriculation=nimporte").content.decode()
    assert 'name="immatriculation" value=""' in page
    response = client.post(reverse("vehicles:acquisition"), {"immatriculation": "zz-999-zz"})
    application = Application.objects.get(applicant=buyer)
    assert application.data["vehicule"] == {"registration_number": "ZZ-999-ZZ"}
    assert response.url.endswith("/etape/vehicule/")


def test_the_code_page_is_only_for_the_seller(client, seller, buyer, vehicle, cert):
    application, _ = declare_cession(seller, vehicle, buyer=buyer)
    url = reverse("vehicles:cession_code", kwargs={"reference": application.reference})
    client.force_login(buyer)
    assert client.get(url).status_code == 404
    client.force_login(seller)
    response = client.get(url)
    assert response.status_code == 200 and "n'est affiché qu'une fois" in response.content.decode()
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]


def test_a_buyer_email_over_254_characters_is_a_form_error_in_french(client, seller, vehicle, cert):
    application = titles_services.create_draft(registry.get(CESSION), applicant=seller, filed_by=seller)
    fill(application, "vehicule", owner_data(vehicle, seller))
    email = "a" * 64 + "@" + ".".join(["b" * 60] * 4) + ".fr"
    assert len(email) > 254
    client.force_login(seller)
    response = client.post(reverse("titles:step", kwargs={"reference": application.reference, "slug": "acquereur"}),
                           {"buyer_kind": "person", "family_name": "Martin", "given_names": "Paul", "email": email})
    assert response.status_code == 200
    assert "L&#x27;adresse électronique compte 254 caractères au plus." in response.content.decode()
    application.refresh_from_db()
    assert "acquereur" not in application.data
