"""A driving school through the API: enrols a student (the web's form and service: the mandate waits for the
student's confirmation), lists its mandates and its students' files; a garage may not enrol. And the demo keys."""

import io

import pytest
from django.core import mail
from rest_framework.test import APIClient

from accounts import demo as accounts_demo
from api import demo
from api.models import ApiKey
from licences import demo as licences_demo
from tests.api.conftest import make_org
from titles.models import Mandate
from vehicles import demo as vehicles_demo

pytestmark = pytest.mark.django_db

STUDENT = {"email": "Lea.Petit@exemple.fr", "given_names": "Léa", "family_name": "PETIT",
           "birth_date": "2007-03-14", "procedures": ["permis-inscription"], "consent_method": "electronic",
           "months": 12}


def test_a_school_enrols_a_student_who_confirms_as_on_the_web(django_capture_on_commit_callbacks):
    school = make_org("Auto-école du Port", kind="auto_ecole")
    with django_capture_on_commit_callbacks(execute=True):
        response = school.client.post("/api/v1/students/", STUDENT, format="json")
    assert response.status_code == 201, response.json()
    mandate = Mandate.objects.get()
    assert mandate.organisation == school.organisation and mandate.created_by == school.manager
    assert mandate.confirmed_at is None and response.json()["citizen"] == "Léa PETIT"
    assert [m.to for m in mail.outbox] == [["lea.petit@exemple.fr"]]
    assert [m["id"] for m in school.client.get("/api/v1/mandates/").json()] == [mandate.pk]
    # A paper mandate without the school's certification: the web form's error, naming the field.
    response = school.client.post("/api/v1/students/", {**STUDENT, "email": "autre@exemple.fr",
                                                        "consent_method": "paper"}, format="json")
    assert response.status_code == 400 and "paper_kept" in {e["field"] for e in response.json()["errors"]}


def test_a_garage_cannot_enrol_students(garage):
    assert garage.client.post("/api/v1/students/", STUDENT, format="json").status_code == 404
    assert not Mandate.objects.exists()


def test_the_demo_keys_are_loaded_once_and_work():
    for _ in range(2):
        out = io.StringIO()
        accounts_demo.load(out)
        licences_demo.load_base(out)  # the school and the garage, registered by their title apps
        vehicles_demo.load_base(out)
        demo.load(out)
    assert ApiKey.objects.count() == 2
    for _, full_key in demo.DEMO_KEYS.values():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {full_key}")
        assert client.get("/api/v1/files/").status_code == 200
    assert demo.DEMO_KEYS["garage-provence"][1].startswith("demo-garage-api-")
    assert demo.DEMO_KEYS["ae-var-conduite"][1].startswith("demo-autoecole-api-")
