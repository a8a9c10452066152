"""Bad input never ends in a 500: every route, as every kind of user, with garbage query strings and forms.

Runs on the demo data, so that every route has real objects to find (and foreign ones to refuse). A NUL character
anywhere (path, query string, form) is refused by ``portal.middleware.RequestGuardMiddleware`` before any view:
PostgreSQL refuses NUL in text, SQLite does not, so the tests check that every route answers 400 to one, whatever
the database.
"""

import io
import re
from urllib.parse import unquote

import pytest
from django import forms
from django.core.management import call_command
from django.test import Client
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve, reverse

from accounts.models import User
from licences.enums import LICENCE
from licences.forms import StudentMandateForm
from licences.services import school_procedures
from tests.titles.conftest import ExampleProcedure, jpeg_upload
from titles import services
from titles.models import Application
from titles.procedures import Procedure, Step
from titles.registry import registry

pytestmark = pytest.mark.django_db

GARBAGE = {
    "body": "x" * 6000,
    "message": "<script>alert(1)</script>",
    "code": "💥' OR 1=1 --",
    "token": "../../etc/passwd",
    "reason": "",
    "email": "pas-une-adresse",
    "username": "a" * 300,
    "password": "",
    "registration_number": "<b>AA-000-AA</b>",
    "numero_formule": "2099ZZ99999",
    "family_name": "\u202egnp.exe",
    "date": "31/02/2026",
    "sold_on": "2026-13-45",
    "postal_code": "ABCDE",
    "slot": "abc",
    "page": "-1",
    "timbre_number": "1234",
    "section": "identity",
    "selection": ["nope", "1"],
    "next": "https://evil.example/",
}
REQUESTS = []
QUERY = {"page": "abc", "departement": "<script>", "procedure": "zz", "status": "zz", "age": "-5", "cert": "x",
         "q": "%00", "week": "9999", "code": "%%%"}


def routes():
    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern)

    return [r for r in walk(get_resolver().url_patterns) if not r.startswith(("admin/", "oidc/", "favicon"))]


def fill(route, values):
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values.get(m.group(1), "XYZ")), route)


@pytest.fixture
def demo(settings, django_capture_on_commit_callbacks):
    settings.DEBUG = True
    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo_data", stdout=io.StringIO())
    settings.DEBUG = False


def test_no_route_answers_500_to_garbage(demo, client, verified_client):
    own = Application.objects.exclude(status="draft").first()
    assert own is not None and len(routes()) > 60
    failures = []
    for email in [None, "usager@demo.test", "agent@demo.test", "garage@demo.test", "mairie@demo.test",
                  "mediateur@demo.test", "autoecole@demo.test"]:
        client.logout()
        if email:
            verified_client(User.objects.get(email=email))
        failures += garbage_everywhere(client, own)
    assert failures == []
    assert len(REQUESTS) > 1500 and sum(code == 200 for code in REQUESTS) > 100


def garbage_everywhere(client, own):
    values_sets = [
        {"reference": own.reference, "pk": 1, "code": "ABCDEFGHJKMN", "token": "nope", "slug": "etape",
         "number": "ABCDEFGHJK", "name": "accept", "uidb64": "MQ", "token_": "x"},
        {"reference": "%25", "pk": 999999, "code": "%20", "token": "%2e%2e", "slug": "zz", "number": "0",
         "name": "zz", "uidb64": "!!", "token_": "x"},
    ]
    failures = []
    for route in routes():
        for values in values_sets:
            url = fill(route, values)
            for method, kwargs in (("get", {"data": QUERY}), ("post", {"data": GARBAGE})):
                response = getattr(client, method)(url, **kwargs)
                REQUESTS.append(response.status_code)
                if response.status_code >= 500:
                    failures.append(f"{method.upper()} {url} → {response.status_code}")
    return failures


NUL_VALUES = {"reference": "AB%00CD", "pk": 1, "code": "%00", "token": "%00", "slug": "%00", "number": "%00",
              "name": "%00", "uidb64": "%00", "token_": "%00"}


def test_every_route_refuses_a_nul_byte_with_a_400_in_french(demo, client, verified_client):
    """Wherever it is, a NUL never reaches a view: the answer is the French 400 page, anonymous or signed in."""
    own = Application.objects.exclude(status="draft").first()
    valid = {"reference": own.reference, "pk": 1, "code": "ABCDEFGHJKMN", "token": "nope", "slug": "etape",
             "number": "ABCDEFGHJK", "name": "accept", "uidb64": "MQ", "token_": "x"}
    answers = {}
    for email in [None, "agent@demo.test"]:
        client.logout()
        if email:
            verified_client(User.objects.get(email=email))
        for route in routes():
            url = fill(route, valid)
            answers[f"GET {url}?q=%00"] = client.get(url, {"q": "\x00"})
            answers[f"GET {url}?%00=x"] = client.get(url, {"\x00": "x"})
            answers[f"POST {url} body=%00"] = client.post(url, {**GARBAGE, "message": "\x00"})
            if "%00" in fill(route, NUL_VALUES):  # a route with a text parameter
                answers[f"GET {fill(route, NUL_VALUES)}"] = client.get(fill(route, NUL_VALUES))
    wrong = {request: response.status_code for request, response in answers.items()
             if response.status_code != expected_status(request)}
    assert wrong == {}
    sample = answers["GET /points-numeriques/?q=%00"].content.decode()
    assert "Demande incorrecte" in sample and "Erreur 400" in sample
    assert "GET /verifier/%00/" in answers and "GET /permis/mandat/%00/" in answers


def expected_status(request):
    """400, or 404 for a path that matches no route (a NUL where a slug is expected): no view, no query."""
    path = unquote(request.split()[1].split("?")[0])
    try:
        resolve(path)
    except Resolver404:
        return 404
    return 400


def test_the_nul_check_reads_decoded_values(client, db):
    assert client.get("/points-numeriques/", QUERY_STRING="departement=%00").status_code == 400
    assert client.get("/verifier/%00/").status_code == 400
    assert client.get("/permis/mandat/%00/").status_code == 400
    assert client.get("/points-numeriques/", {"departement": "83"}).status_code == 200
    assert client.post("/compte/connexion/", {"username": "a@b.test", "password": "x\x00y"}).status_code == 400
    # "%00" typed as text (a percent sign and two zeros) is no NUL.
    assert client.get("/points-numeriques/", {"departement": "%00"}).status_code == 200


class _NoStepForm(forms.Form):
    note = forms.CharField(required=False)


class FreeProcedureWithoutDocuments(Procedure):
    code = "test-sans-pieces"
    title = LICENCE
    label = "Démarche sans pièce ni paiement"
    steps = (Step("note", "Note", _NoStepForm),)
    documents = ()
    fee_cents = 0


@pytest.fixture
def bare_procedure(db):
    registry.register(FreeProcedureWithoutDocuments)
    yield registry.get(FreeProcedureWithoutDocuments.code)
    registry.unregister(FreeProcedureWithoutDocuments.code)


@pytest.mark.parametrize("step", ["titles:payment", "titles:documents"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_step_the_procedure_does_not_have_is_a_404(step, method, bare_procedure, citizen, client):
    draft = services.create_draft(bare_procedure, applicant=citizen, filed_by=citizen)
    client.force_login(citizen)
    response = getattr(client, method)(reverse(step, kwargs={"reference": draft.reference}))
    assert response.status_code == 404


def test_a_student_email_over_254_characters_is_a_form_error_in_french(db):
    email = "a" * 64 + "@" + ".".join(["b" * 60] * 4) + ".fr"
    assert len(email) > 254
    form = StudentMandateForm(
        {"email": email, "given_names": "Léa", "family_name": "Garnier", "birth_date": "2007-04-02",
         "procedures": ["permis-inscription"], "consent_method": "electronic", "months": "12"},
        procedures=school_procedures(),
    )
    assert not form.is_valid()
    assert form.errors["email"] == ["L'adresse électronique compte 254 caractères au plus."]


class _Unreadable:
    """A request body that fails the test if anything reads it."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


def test_a_body_larger_than_the_limit_is_refused_before_it_is_read(db):
    client = Client(enforce_csrf_checks=True)  # CsrfViewMiddleware reads the body for its token: it must come after
    client.cookies["csrftoken"] = "a" * 32
    response = client.generic("POST", "/compte/connexion/", b"", content_type="multipart/form-data; boundary=x",
                              CONTENT_LENGTH=str(60 * 1024 * 1024), **{"wsgi.input": _Unreadable()})
    assert response.status_code == 413
    assert "Envoi trop volumineux" in response.content.decode()


@pytest.fixture
def example_procedure(db):
    registry.register(ExampleProcedure)
    yield registry.get(ExampleProcedure.code)
    registry.unregister(ExampleProcedure.code)


def test_the_documents_step_takes_every_file_of_a_procedure_at_once(settings, example_procedure, citizen, client):
    """The documents step's limit is every file of the largest procedure at its limit; other pages keep theirs."""
    settings.REQUEST_BODY_MAX_BYTES = 500
    draft = services.create_draft(example_procedure, applicant=citizen, filed_by=citizen)
    client.force_login(citizen)
    response = client.post(reverse("titles:documents", kwargs={"reference": draft.reference}),
                           {"identity": jpeg_upload()})
    assert response.status_code == 302 and draft.documents.count() == 1
    response = client.post(reverse("titles:message", kwargs={"reference": draft.reference}),
                           {"body": "x", "attachment": jpeg_upload()})
    assert response.status_code == 413
    largest = max(sum(d.rules.max_bytes for d in p.documents) for p in registry.all())
    assert largest > 60 * 1024 * 1024  # 7 documents of 10 Mo: a 60 Mo body may be a real one here, nowhere else
    response = client.generic("POST", reverse("titles:documents", kwargs={"reference": draft.reference}), b"",
                              CONTENT_LENGTH=str(largest + 2 * 1024 * 1024), **{"wsgi.input": _Unreadable()})
    assert response.status_code == 413
