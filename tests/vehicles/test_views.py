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
    assert response.status_code == 422
    assert "L&#x27;adresse électronique compte 254 caractères au plus." in response.content.decode()
    application.refresh_from_db()
    assert "acquereur" not in application.data


@pytest.mark.dates
def test_an_older_vehicle_needs_its_controle_technique_at_the_pieces_step(client, seller, buyer, cert):
    """Issue 14, 3: the mandatory contrôle technique report could be skipped at the pièces step; the recap then
    blocked with no link back, and « Reprendre ma demande » looped to the recap."""
    import datetime

    import time_machine
    from django.utils import timezone

    from tests.vehicles.conftest import jpeg_upload, make_vehicle

    now = datetime.datetime(2026, 11, 16, 10, tzinfo=timezone.get_default_timezone())
    with time_machine.travel(now, tick=False):
        old = make_vehicle(seller, first_registration_date=datetime.date(2019, 3, 1))
        _, code = declare_cession(seller, old, buyer=buyer)
        application = titles_services.create_draft(registry.get(CHANGEMENT_TITULAIRE), applicant=buyer,
                                                   filed_by=buyer)
        fill(application, "vehicule", {"registration_number": old.registration_number, "code_de_cession": code})
        fill(application, "titulaire", {"address_line": buyer.address_line, "postal_code": buyer.postal_code,
                                        "city": buyer.city})
        fill(application, "controle", {"ct_date": "2026-10-20"})
        ref = application.reference
        documents_url = reverse("titles:documents", kwargs={"reference": ref})
        client.force_login(buyer)

        # « Reprendre ma demande » leads to the first incomplete step, not to the recap.
        detail = client.get(reverse("titles:detail", kwargs={"reference": ref})).content.decode()
        resume_url = reverse("titles:resume", kwargs={"reference": ref})
        assert f'href="{resume_url}">Reprendre ma demande' in detail
        assert client.get(resume_url).url == documents_url

        # The recap links each missing item to the step that fixes it.
        recap = client.get(reverse("titles:recap", kwargs={"reference": ref})).content.decode()
        assert "Il manque la pièce « Procès-verbal du contrôle technique »" in recap
        assert f'<a class="fr-link" href="{documents_url}">Compléter « Pièces justificatives »</a>' in recap

        # The pièces step refuses to go on without it: the vehicle is over 4 years old.
        page = client.get(documents_url).content.decode()
        assert "Obligatoire pour ce véhicule, qui a plus de 4 ans" in page
        response = client.post(documents_url, {"identity": jpeg_upload(), "proof_of_address": jpeg_upload(),
                                               "driving_licence": jpeg_upload()})
        assert response.status_code == 422
        assert response.context["form"].errors["controle_technique"]
        assert not application.documents.filter(kind="controle_technique").exists()
        response = client.post(documents_url, {"controle_technique": jpeg_upload(), "identity": jpeg_upload(),
                                               "proof_of_address": jpeg_upload(), "driving_licence": jpeg_upload()})
        assert response.status_code == 302
        # Everything is given but the taxes, paid by card at the last step, « Paiement et dépôt ».
        assert client.get(resume_url).url == reverse("titles:payment", kwargs={"reference": ref})
        assert [item.step for item in titles_services.missing_for_submission(application)] == ["paiement"]


def test_a_recap_links_every_missing_item_to_its_step(client, buyer, cert):
    application = titles_services.create_draft(registry.get(CHANGEMENT_TITULAIRE), applicant=buyer, filed_by=buyer)
    missing = titles_services.missing_for_submission(application)
    assert [item.step for item in missing] == ["vehicule", "controle", "pieces", "pieces", "pieces",
                                               "paiement"]
    client.force_login(buyer)
    response = client.get(reverse("titles:recap", kwargs={"reference": application.reference}))
    step_url = reverse("titles:step", kwargs={"reference": application.reference, "slug": "vehicule"})
    assert f'href="{step_url}">Compléter « Véhicule et code de cession »' in response.content.decode()
    assert client.get(reverse("titles:resume", kwargs={"reference": application.reference})).url == step_url


def test_the_sellers_page_follows_the_register_once_the_buyer_has_filed(client, seller, buyer, vehicle, cert):
    """Issue 14, 7: after the buyer finished, the seller still read « Action attendue de : l'acquéreur » and a
    « Retirer ma demande » promising a timbre refund on a free cession."""
    from tests.vehicles.conftest import buyer_draft, pay_and_submit

    declaration, code = declare_cession(seller, vehicle, buyer=buyer)
    client.force_login(seller)
    detail_url = reverse("titles:detail", kwargs={"reference": declaration.reference})
    withdraw_url = reverse("titles:withdraw", kwargs={"reference": declaration.reference})
    page = client.get(detail_url).content.decode()
    assert "Action attendue de : <strong>l&#x27;acquéreur</strong>" in page and withdraw_url in page
    withdraw_page = client.get(withdraw_url).content.decode()
    assert "Retirer ma demande" in withdraw_page and "remboursé" not in withdraw_page  # nothing was paid

    pay_and_submit(buyer_draft(buyer, vehicle, code), buyer)
    page = client.get(detail_url).content.decode()
    assert "Cession terminée" in page and "changement de titulaire le" in page
    assert "Action attendue de" not in page and withdraw_url not in page
    with pytest.raises(titles_services.InvalidTransition) as refusal:
        titles_services.apply_transition(declaration, "withdraw", actor=seller)
    assert refusal.value.code == "cession_used"


def test_a_card_paid_file_withdrawn_is_promised_its_refund_on_the_card(client, buyer, seller, vehicle, cert):
    from tests.vehicles.conftest import buyer_draft, pay_and_submit

    _, code = declare_cession(seller, vehicle, buyer=buyer)
    application = buyer_draft(buyer, vehicle, code)
    pay_and_submit(application, buyer)
    client.force_login(buyer)
    page = client.get(reverse("titles:withdraw", kwargs={"reference": application.reference})).content.decode()
    assert "313,76 € payés seront remboursés sur votre carte bancaire se terminant par 4242" in page
    assert "timbre" not in page
