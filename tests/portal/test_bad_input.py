"""Bad input never ends in a 500: every route, as every kind of user, with garbage query strings and forms.

Runs on the demo data, so that every route has real objects to find (and foreign ones to refuse).
"""

import io
import re

import pytest
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.models import User
from titles.models import Application

pytestmark = pytest.mark.django_db

GARBAGE = {
    "body": "x" * 6000,
    "message": "\x00<script>alert(1)</script>",
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
