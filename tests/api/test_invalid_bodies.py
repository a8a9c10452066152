"""Every POST of the API answers an invalid body with problem+json naming the field (400), or another 4xx — never a
500 — whatever the body's shape: wrong types, lists for objects, nested junk, a body that is not an object."""

import pytest

from tests.api.conftest import make_mandate, make_org
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

JUNK = [None, 12, "texte", ["liste"], {"objet": 1}, True, "", "x" * 6000]


@pytest.fixture
def draft(garage):
    client = UserFactory(email="camille.roux@exemple.fr")
    mandate = make_mandate(client, garage.organisation)
    response = garage.client.post("/api/v1/files/", {"procedure": "cession", "mandate": mandate.pk}, format="json")
    assert response.status_code == 201
    return response.json()["reference"]


# What each field may be (a JSON value of another type must be refused, naming the field).
TEXT, NUMBER, LIST, OBJECT = (str, int), (int,), (list,), (dict,)  # DRF takes a number for a text


def posts(reference):
    """(path, {field: the JSON types it takes})"""
    return [
        ("/api/v1/files/", {"procedure": TEXT, "mandate": NUMBER}),
        (f"/api/v1/files/{reference}/steps/vehicule/", {"data": OBJECT}),
        (f"/api/v1/files/{reference}/payment/", {"timbre_number": TEXT}),
        (f"/api/v1/files/{reference}/messages/", {"body": TEXT}),
        ("/api/v1/mandates/", {"email": TEXT, "given_names": TEXT, "family_name": TEXT, "procedures": LIST,
                               "months": NUMBER}),
    ]


def wrong_type(junk, types):
    return junk is None or isinstance(junk, bool) or not isinstance(junk, types)


def assert_problem(response, *, field=None):
    assert response.status_code < 500, response.content
    assert 400 <= response.status_code < 500
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["detail"] and body["status"] == response.status_code
    if field is not None and response.status_code == 400:
        assert field in {error["field"] for error in body.get("errors", [])}, body


def test_each_field_given_junk_is_a_problem_naming_it(garage, draft):
    for path, fields in posts(draft):
        for field, types in fields.items():
            for junk in JUNK:
                response = garage.client.post(path, {field: junk}, format="json")
                assert_problem(response, field=field if wrong_type(junk, types) else None)


@pytest.mark.parametrize("body", ['[1, 2]', '"texte"', "12", "null", "{", '{"data": {"registration_number": '
                                                                          '{"a": [1]}}}'])
def test_a_body_that_is_not_an_object_is_a_problem(garage, draft, body):
    for path, _ in posts(draft):
        assert_problem(garage.client.post(path, body, content_type="application/json"))


def test_step_fields_of_the_wrong_type_name_the_field(garage, draft):
    for junk in (["FB-731-GK"], {"a": 1}, 12, None):
        response = garage.client.post(f"/api/v1/files/{draft}/steps/vehicule/",
                                      {"data": {"registration_number": junk}}, format="json")
        assert_problem(response, field="registration_number")


def test_the_driving_school_enrolment_names_the_field(db):
    school = make_org("Auto-école du Port", kind="auto_ecole")
    fields = {"email": TEXT, "birth_date": TEXT, "procedures": LIST, "consent_method": TEXT, "months": NUMBER}
    for field, types in fields.items():
        for junk in JUNK:
            response = school.client.post("/api/v1/students/", {field: junk}, format="json")
            assert_problem(response, field=field if wrong_type(junk, types) else None)
