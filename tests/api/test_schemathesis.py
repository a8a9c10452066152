"""The API against its own live OpenAPI schema: schemathesis generates requests for every operation of
`/api/v1/schema/` (from the schema's types and examples) and sends them with a garage's key to the WSGI
application; no answer may be a server error, and every answer must conform to the schema (status code, content
type, headers, body). Bounded to a few examples per operation so that it runs in CI in about a minute."""

import pytest
import schemathesis
from django.db import connection
from django.test import override_settings
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from portal.wsgi import application
from tests.api.conftest import make_mandate, make_org
from tests.factories import UserFactory
from tests.vehicles.conftest import make_vehicle

MAX_EXAMPLES = 20
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


@pytest.fixture(autouse=True)
def _keep_the_test_connection(monkeypatch):
    """Run the WSGI application as Django's test client does: without closing the database connection at the
    start and end of each request (`close_old_connections`), which on PostgreSQL would close the connection that
    holds the test's transaction. (Disconnecting the signal is not enough: any use of the test client connects it
    again.)"""
    monkeypatch.setattr(connection, "close_if_unusable_or_obsolete", lambda: None)


@pytest.fixture
def garage_key(db):
    """A garage with a key of every scope, a client's mandate and a draft, so that some calls reach real data."""
    garage = make_org("Garage de Provence")
    seller = UserFactory()
    make_vehicle(seller)
    mandate = make_mandate(seller, garage.organisation)
    response = garage.client.post("/api/v1/files/", {"procedure": "cession", "mandate": mandate.pk}, format="json")
    assert response.status_code == 201
    return garage.full_key


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@override_settings(API_THROTTLE_RATES={"burst": "100000/minute", "sustained": "100000/hour"})
def test_every_operation_answers_without_error_and_as_its_schema_says(garage_key, mode):
    # The live schema, served by the application itself (schemathesis' pytest plugin, `from_fixture`, does not run
    # on pytest 9: each operation is driven here with its Hypothesis strategy instead).
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)
    headers = {"Authorization": f"Bearer {garage_key}"}
    failures = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10

    for operation in operations:

        @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except Exception as failure:  # every operation is run; all their failures are reported together
            failures[operation.label] = failure
    assert not failures, "\n\n".join(f"{label}:\n{failure}" for label, failure in failures.items())


def test_every_post_documents_the_idempotency_answers(garage_key):
    """Found by schemathesis: the answers of the Idempotency-Key header (400, 409, 422) were undocumented on most
    POSTs, and the header's length was not in the schema."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application).raw_schema
    posts = [item["post"] for item in schema["paths"].values() if "post" in item]
    assert len(posts) >= 7
    for operation in posts:
        assert {"400", "409", "422", "429"} <= set(operation["responses"]), operation["operationId"]
        header = next(p for p in operation["parameters"] if p["name"] == "Idempotency-Key")
        assert (header["schema"]["minLength"], header["schema"]["maxLength"]) == (1, 255)
