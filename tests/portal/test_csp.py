"""The Content-Security-Policy header (issue 11, 2.9): no response carries the bare placeholder ``'nonce'`` (a
source that matches nothing, the sign of a misread setting); a response whose page used the nonce names its value."""

import re

import pytest
from csp.middleware import CSPMiddleware
from django.http import HttpResponse
from django.test import RequestFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/", "/aide/", "/healthz", "/mon-espace/", "/nulle-part/", "/verifier/?code=x"])
def test_no_response_carries_a_bare_nonce(client, settings, url):
    settings.DEBUG = False  # django-csp leaves DEBUG's 404 pages alone
    response = client.get(url)
    csp = response["Content-Security-Policy"]
    assert "'nonce'" not in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp


def test_a_page_that_uses_the_nonce_gets_its_value_in_the_header():
    def page(request):
        return HttpResponse(f'<script nonce="{request.csp_nonce}">1</script>')

    responses = [CSPMiddleware(page)(RequestFactory().get("/")) for _ in range(2)]
    header = r"script-src 'self' 'nonce-([A-Za-z0-9+/=]+)'"
    nonces = [re.findall(header, response["Content-Security-Policy"]) for response in responses]
    assert all(len(found) == 1 for found in nonces) and nonces[0] != nonces[1]
    assert f'nonce="{nonces[0][0]}"' in responses[0].content.decode()
    assert "'nonce'" not in responses[0]["Content-Security-Policy"]
