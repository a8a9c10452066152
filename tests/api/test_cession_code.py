"""Submitting a cession through the API gives the code de cession once, in the submission's response; a replay with
the same Idempotency-Key gives the same response (the code sealed in the record, never in clear); no GET shows it."""

import json

import pytest

from api.models import IdempotencyRecord
from tests.api.conftest import make_mandate
from tests.api.test_api import fill_cession, open_draft
from tests.factories import UserFactory
from tests.vehicles.conftest import make_vehicle
from vehicles.attempts import hash_code
from vehicles.formats import compact
from vehicles.models import Cession

pytestmark = pytest.mark.django_db


@pytest.fixture
def declared(garage, cert):
    seller = UserFactory()
    vehicle = make_vehicle(seller)
    reference = open_draft(garage, make_mandate(seller, garage.organisation))
    fill_cession(garage, reference, vehicle, seller)
    return reference


def test_the_code_is_given_once_and_again_only_to_a_replay(garage, declared):
    submit = f"/api/v1/files/{declared}/submit/"
    first = garage.client.post(submit, HTTP_IDEMPOTENCY_KEY="depot-cession-1")
    assert first.status_code == 200, first.content
    body = first.json()
    code = body["code_de_cession"]
    assert hash_code(compact(code)) == Cession.objects.get(application__reference=declared).code_hash
    assert code.count("-") == 2  # for reading, as the web shows it: XXXX-XXXX-XXXX

    # Kept sealed, never in clear, in the idempotency record.
    record = IdempotencyRecord.objects.get(key="depot-cession-1")
    stored = json.dumps(record.response)
    assert compact(code) not in compact(stored) and "code_de_cession" not in record.response
    assert set(record.response["_sealed"]) == {"code_de_cession"}

    replayed = garage.client.post(submit, HTTP_IDEMPOTENCY_KEY="depot-cession-1")
    assert replayed.status_code == 200 and replayed["Idempotent-Replayed"] == "true"
    assert replayed.json() == body

    # No read gives it: the detail, the list, the documents.
    for url in (f"/api/v1/files/{declared}/", "/api/v1/files/", f"/api/v1/files/{declared}/documents/"):
        text = garage.client.get(url).content.decode()
        assert compact(code) not in compact(text) and "code_de_cession" not in text
    # A second submission without the key is refused: the file is no longer a draft.
    assert garage.client.post(submit).status_code == 409


def test_the_schema_documents_the_code_on_submission_only(garage):
    schema = garage.client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    components = schema["components"]["schemas"]
    assert "code_de_cession" in components["SubmittedFile"]["properties"]
    assert "code_de_cession" not in components["FileDetail"]["properties"]
    submit = schema["paths"]["/api/v1/files/{reference}/submit/"]["post"]
    assert submit["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/SubmittedFile")
