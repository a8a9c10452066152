"""The API through HTTP: two garages' keys see only their own organisation's files (404 on the other's), scopes,
problem+json errors, a cession declared and a changement de titulaire filed end to end with the web's checks."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from api.models import ApiKey
from journal.models import Entry
from tests.api.conftest import jpeg, make_mandate, make_org
from tests.factories import OrganisationFactory, UserFactory
from tests.vehicles.conftest import declare_cession, make_vehicle
from titles.models import Application, GeneratedDocument, Payment, RoutingRule
from vehicles.enums import CESSION, CHANGEMENT_TITULAIRE, VEHICLE
from vehicles.models import Cession

pytestmark = pytest.mark.django_db
PROBLEM = "application/problem+json"


@pytest.fixture
def cert(db):
    cert = OrganisationFactory(cert=True, name="CERT de Nîmes")
    RoutingRule.objects.create(title=VEHICLE, departement="", cert=cert)
    return cert


def open_draft(org, mandate, code=CESSION):
    response = org.client.post("/api/v1/files/", {"procedure": code, "mandate": mandate.pk}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()["reference"]


def fill_cession(org, reference, vehicle, seller):
    sold = timezone.localtime() - datetime.timedelta(hours=1)
    steps = {
        "vehicule": {"registration_number": vehicle.registration_number, "numero_formule": vehicle.numero_formule,
                     "family_name": seller.family_name, "given_names": seller.given_names},
        "cession": {"sold_on": sold.date().isoformat(), "sold_time": sold.strftime("%H:%M"), "mileage": "84120"},
        "acquereur": {"buyer_kind": "company", "company_name": "Occasions du Var", "siren": "732829320"},
    }
    for slug, data in steps.items():
        response = org.client.post(f"/api/v1/files/{reference}/steps/{slug}/", {"data": data}, format="json")
        assert response.status_code == 200, response.json()


def test_a_garage_declares_a_cession_for_a_client_end_to_end(garage, cert, django_capture_on_commit_callbacks):
    seller = UserFactory()
    vehicle = make_vehicle(seller)
    mandate = make_mandate(seller, garage.organisation)
    reference = open_draft(garage, mandate)
    detail = garage.client.get(f"/api/v1/files/{reference}/").json()
    assert detail["status"] == "draft" and detail["missing"] and [s["slug"] for s in detail["steps"]] == [
        "vehicule", "cession", "acquereur"]
    fill_cession(garage, reference, vehicle, seller)
    assert garage.client.get(f"/api/v1/files/{reference}/").json()["missing"] == []
    with django_capture_on_commit_callbacks(execute=True):
        response = garage.client.post(f"/api/v1/files/{reference}/submit/")
    assert response.status_code == 200 and response.json()["status"] == "submitted"
    application = Application.objects.get(reference=reference)
    assert application.filed_by == garage.manager and application.applicant == seller
    assert Cession.objects.get().application == application
    timeline = garage.client.get(f"/api/v1/files/{reference}/").json()["timeline"]
    assert "submit" in [event["kind"] for event in timeline]
    # The accusé and the CSA are listed and downloadable; the copy that prints the code stays on the web.
    documents = garage.client.get(f"/api/v1/files/{reference}/documents/").json()
    accuse = next(d for d in documents if d["kind"] == "accuse-cession")
    assert accuse["ready"] and accuse["download"]
    pdf = garage.client.get(accuse["download"])
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")
    code = Cession.objects.get()
    assert str(code.pk) not in [str(d["id"]) for d in documents if d["source"] == "sealed"]
    # Every write is journaled with the key's prefix, in the organisation's name.
    writes = Entry.objects.filter(action="api.write", organisation=garage.organisation)
    assert writes.count() == 5 and all(entry.payload["key"] == garage.key.prefix for entry in writes)
    garage.key.refresh_from_db()
    assert garage.key.last_used_at is not None


def test_a_garage_files_a_changement_de_titulaire_with_documents_and_payment(
        garage, cert, django_capture_on_commit_callbacks):
    seller, buyer = UserFactory(), UserFactory(postal_code="83300", city="Draguignan")
    vehicle = make_vehicle(seller)
    _, code = declare_cession(seller, vehicle, buyer=buyer)
    mandate = make_mandate(buyer, garage.organisation)
    reference = open_draft(garage, mandate, CHANGEMENT_TITULAIRE)
    client = garage.client
    for slug, data in (("vehicule", {"registration_number": vehicle.registration_number, "code_de_cession": code}),
                       ("titulaire", {"address_line": "3 place du Marché", "postal_code": "83300",
                                      "city": "Draguignan"}),
                       ("controle", {})):
        response = client.post(f"/api/v1/files/{reference}/steps/{slug}/", {"data": data}, format="json")
        assert response.status_code == 200, response.json()
    application = Application.objects.get(reference=reference)
    for document in application.procedure.documents:
        if document.required:
            response = client.post(f"/api/v1/files/{reference}/documents/", {"kind": document.kind, "file": jpeg()},
                                   format="multipart")
            assert response.status_code == 201, response.json()
    quote = client.get(f"/api/v1/files/{reference}/fees/").json()
    assert quote["total_cents"] > 0 and not quote["paid"] and quote["lines"]
    # The carte grise taxes are paid by card, not by timbre: without `card_token` the API says what it needs.
    response = client.post(f"/api/v1/files/{reference}/payment/", {}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "card_token"
    # A declined test token: 402, nothing charged, still a draft.
    response = client.post(f"/api/v1/files/{reference}/payment/", {"card_token": "tok_declined"}, format="json")
    assert response.status_code == 402 and response["Content-Type"] == "application/problem+json"
    assert response.json()["type"].endswith("/paiement-refuse") and "aucun montant" in response.json()["detail"]
    assert not Payment.objects.exists() and Application.objects.get(reference=reference).status == "draft"
    # The accepted one pays the quote and files the file in one act.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/files/{reference}/payment/", {"card_token": "tok_visa"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["method"] == "card" and body["amount_cents"] == quote["total_cents"] and body["card_last4"] == "4242"
    assert body["status"] == "submitted" and body["payment_reference"]
    assert Application.objects.get(reference=reference).status == "submitted"
    # Again (a retry without Idempotency-Key): the same payment, nothing charged twice.
    again = client.post(f"/api/v1/files/{reference}/payment/", {"card_token": "tok_visa"}, format="json")
    assert again.status_code == 200 and again.json()["payment_reference"] == body["payment_reference"]
    assert Payment.objects.filter(application__reference=reference).count() == 1
    assert GeneratedDocument.objects.filter(application__reference=reference, kind="cpi").exists()


def test_invalid_steps_and_uploads_name_the_field_in_a_problem(garage, cert):
    seller = UserFactory()
    make_vehicle(seller)
    reference = open_draft(garage, make_mandate(seller, garage.organisation))
    response = garage.client.post(f"/api/v1/files/{reference}/steps/cession/",
                                  {"data": {"sold_on": "pas une date", "sold_time": "11:00"}}, format="json")
    body = response.json()
    assert response.status_code == 400 and response["Content-Type"] == PROBLEM
    assert body["type"].endswith("/api/v1/problems/validation") and body["status"] == 400 and body["title"]
    assert "sold_on" in {error["field"] for error in body["errors"]}
    # A kind the procedure does not ask for; text posing as a JPEG (the web's content checks answer, in French).
    response = garage.client.post(f"/api/v1/files/{reference}/documents/", {"kind": "identity", "file": jpeg()},
                                  format="multipart")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "kind"
    buyer_file = open_draft(garage, make_mandate(UserFactory(), garage.organisation), CHANGEMENT_TITULAIRE)
    kind = Application.objects.get(reference=buyer_file).procedure.documents[0].kind
    response = garage.client.post(f"/api/v1/files/{buyer_file}/documents/", {"kind": kind, "file": _text_as_jpeg()},
                                  format="multipart")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "file"
    assert "JPEG" in response.json()["detail"] or "format" in response.json()["detail"]
    # Submitting an incomplete draft: 422, with what is missing.
    response = garage.client.post(f"/api/v1/files/{reference}/submit/")
    assert response.status_code == 422 and "n'est pas complète" in response.json()["detail"]


def _text_as_jpeg():
    buffer = io.BytesIO(b"ceci n'est pas une image")
    buffer.name = "piece.jpg"
    return buffer


def test_two_garages_see_nothing_of_each_other(garage, other_garage, cert):
    mine = make_mandate(UserFactory(), garage.organisation)
    theirs = make_mandate(UserFactory(), other_garage.organisation)
    my_file = open_draft(garage, mine)
    their_file = open_draft(other_garage, theirs)
    listed = garage.client.get("/api/v1/files/").json()["results"]
    assert [f["reference"] for f in listed] == [my_file]
    assert [m["id"] for m in garage.client.get("/api/v1/mandates/").json()] == [mine.pk]
    for path in (f"/api/v1/files/{their_file}/", f"/api/v1/files/{their_file}/documents/",
                 f"/api/v1/files/{their_file}/messages/", f"/api/v1/files/{their_file}/fees/"):
        response = garage.client.get(path)
        assert response.status_code == 404 and response["Content-Type"] == PROBLEM, path
    for path, body in ((f"/api/v1/files/{their_file}/steps/cession/", {"data": {}}),
                       (f"/api/v1/files/{their_file}/submit/", {}),
                       (f"/api/v1/files/{their_file}/payment/", {})):
        assert garage.client.post(path, body, format="json").status_code == 404, path
    # Nor file under the other's mandate.
    response = garage.client.post("/api/v1/files/", {"procedure": CESSION, "mandate": theirs.pk}, format="json")
    assert response.status_code == 404
    assert Application.objects.filter(organisation=garage.organisation).count() == 1


def test_a_revoked_mandate_closes_the_file_to_the_key(garage, cert):
    mandate = make_mandate(UserFactory(), garage.organisation)
    reference = open_draft(garage, mandate)
    mandate.revoked_at = timezone.now()
    mandate.save()
    assert garage.client.get(f"/api/v1/files/{reference}/").status_code == 404
    assert garage.client.get("/api/v1/files/").json()["results"] == []


def test_scopes_limit_what_a_key_does(garage, cert):
    reader = make_org("Garage en lecture", scopes=("read",))
    mandate = make_mandate(UserFactory(), reader.organisation)
    response = reader.client.post("/api/v1/files/", {"procedure": CESSION, "mandate": mandate.pk}, format="json")
    assert response.status_code == 403 and response["Content-Type"] == PROBLEM
    assert "« file »" in response.json()["detail"] and response.json()["type"].endswith("droits-insuffisants")
    assert reader.client.get("/api/v1/files/").status_code == 200
    filer = make_org("Garage sans documents", scopes=("read", "file"))
    reference = open_draft(filer, make_mandate(UserFactory(), filer.organisation))
    response = filer.client.post(f"/api/v1/files/{reference}/documents/", {"kind": "identity", "file": jpeg()},
                                 format="multipart")
    assert response.status_code == 403


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer inconnue_abc", "Bearer garage-api-xxxxxxxx_faux",
                                    "Token abc"])
def test_without_a_valid_key_the_api_answers_401_problem(client, db, header):
    kwargs = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get("/api/v1/files/", **kwargs)
    assert response.status_code == 401 and response["Content-Type"] == PROBLEM
    assert response["WWW-Authenticate"].startswith("Bearer")
    body = response.json()
    assert set(body) >= {"type", "title", "status", "detail"} and body["status"] == 401


def test_a_key_stops_when_its_creator_leaves_the_organisation(garage):
    garage.organisation.memberships.filter(user=garage.manager).update(is_active=False)
    assert garage.client.get("/api/v1/files/").status_code == 401


def test_a_revoked_key_answers_401(garage):
    ApiKey.objects.filter(pk=garage.key.pk).update(revoked_at=timezone.now())
    response = garage.client.get("/api/v1/files/")
    assert response.status_code == 401 and response.json()["detail"] == "Clé d'API inconnue ou révoquée."


def test_an_unknown_address_and_a_bad_body_answer_problems(garage):
    response = garage.client.get("/api/v1/nulle-part/")
    assert response.status_code == 404 and response["Content-Type"] == PROBLEM
    response = garage.client.post("/api/v1/files/", "{pas du json", content_type="application/json")
    assert response.status_code == 400 and response.json()["type"].endswith("requete-invalide")
    response = garage.client.post("/api/v1/files/", {"procedure": "inconnue"}, format="json")
    assert response.status_code == 400 and {e["field"] for e in response.json()["errors"]} == {"mandate"}


def test_list_filters_and_cursor_pagination(garage, cert, django_assert_max_num_queries):
    mandate = make_mandate(UserFactory(), garage.organisation)
    references = [open_draft(garage, mandate) for _ in range(3)]
    page = garage.client.get("/api/v1/files/?page_size=2").json()
    assert len(page["results"]) == 2 and page["next"]
    rest = garage.client.get(page["next"]).json()
    assert {f["reference"] for f in page["results"] + rest["results"]} == set(references)
    assert garage.client.get("/api/v1/files/?status=submitted").json()["results"] == []
    assert len(garage.client.get(f"/api/v1/files/?procedure={CESSION}").json()["results"]) == 3
    today = timezone.localdate()
    assert len(garage.client.get(f"/api/v1/files/?created_after={today}").json()["results"]) == 3
    response = garage.client.get("/api/v1/files/?status=inconnu&created_before=hier")
    assert response.status_code == 400 and {e["field"] for e in response.json()["errors"]} == {
        "status", "created_before"}
    with django_assert_max_num_queries(8):  # no N+1: key, membership, files, last_used update
        garage.client.get("/api/v1/files/")


def test_the_schema_validates_without_warnings():
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")


def test_the_documentation_page_is_served(client, db):
    response = client.get("/api/v1/documentation/")
    page = response.content.decode()
    assert response.status_code == 200 and "Lister les dossiers de l&#x27;organisation" in page
    assert 'id="probleme-validation"' in page
    assert client.get("/api/v1/problems/validation").url.endswith("/api/v1/documentation/#probleme-validation")
    assert client.get("/api/v1/schema/").status_code == 200


def test_an_unreadable_cursor_is_a_400_naming_the_field(garage):
    """Found by schemathesis: DRF answers an invalid cursor with 404, which the schema does not document."""
    response = garage.client.get("/api/v1/files/?cursor=code+utilis%C3%A9+le")
    assert response.status_code == 400 and response["Content-Type"] == PROBLEM
    assert [error["field"] for error in response.json()["errors"]] == ["cursor"]


def test_what_the_request_guard_refuses_answers_problem_json_on_the_api(garage, settings):
    """Found by schemathesis: a NUL character in the query or a form field got the site's HTML 400 page."""
    response = garage.client.get("/api/v1/files/?procedure=a%00b")
    assert response.status_code == 400 and response["Content-Type"] == PROBLEM
    assert response.json()["type"].endswith("/problems/requete-invalide")
    response = garage.client.post("/api/v1/files/XX/documents/", {"kind": "a\x00"}, format="multipart")
    assert response.status_code == 400 and response["Content-Type"] == PROBLEM
    response = garage.client.get("/api/v1/nothing-here/?q=%00")
    assert response.status_code == 400 and response["Content-Type"] == PROBLEM
    settings.REQUEST_BODY_MAX_BYTES = 1024
    response = garage.client.post("/api/v1/files/", {"procedure": "x" * 2000, "mandate": 1}, format="json")
    assert response.status_code == 413 and response["Content-Type"] == PROBLEM
    assert response.json()["type"].endswith("/problems/trop-volumineux")
