"""Issue 14, 10: after a refused form, an error summary at the top of the page linking each error to its field, the
title prefixed « Erreur : », and the focus moved to the summary by a script the CSP allows."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.scripts, self.in_title, self.title = set(), [], False, ""
        self.main_start = self.summary_start = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "main":
            self.main_start = self.getpos()
        if "data-portal-error-summary" in attrs:
            self.summary_start = self.getpos()
            self.summary_tabindex = attrs.get("tabindex")
        if tag == "script":
            self.scripts.append(attrs)
        self.in_title = tag == "title"

    def handle_data(self, data):
        if self.in_title:
            self.title += data

    def handle_endtag(self, tag):
        if tag == "title":
            self.in_title = False


def check_summary(response, *anchors):
    page = response.content.decode()
    parsed = _Page()
    parsed.feed(page)
    assert parsed.title.strip().startswith("Erreur : "), parsed.title
    assert parsed.summary_start is not None and parsed.summary_tabindex == "-1"
    summary = page[page.index("data-portal-error-summary"):]
    summary = summary[:summary.index("</div>")]
    for anchor in anchors:
        assert f'href="#{anchor}"' in summary and anchor in parsed.ids, anchor
    # Before the form itself: the first thing read in the main content.
    assert page.index("data-portal-error-summary") < page.index("<form", page.index('id="contenu"'))
    # The focus script is an external file of the site (no inline script, which the CSP forbids).
    sources = [script.get("src", "") for script in parsed.scripts]
    assert any(src.endswith("portal/error-summary.js") for src in sources)
    assert all(script.get("src") or script.get("nonce") for script in parsed.scripts)
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    return summary


def test_the_script_focuses_the_summary():
    script = (Path(settings.BASE_DIR) / "static" / "portal" / "error-summary.js").read_text()
    assert 'querySelector("[data-portal-error-summary]")' in script and ".focus()" in script


def test_a_wizard_step_with_errors(client, procedure, citizen):
    from titles import services

    application = services.create_draft(procedure, applicant=citizen, filed_by=citizen)
    client.force_login(citizen)
    url = reverse("titles:step", kwargs={"reference": application.reference, "slug": "details"})
    page = client.get(url)
    assert "data-portal-error-summary" not in page.content.decode() and "Erreur :" not in page.content.decode()
    response = client.post(url, {"motive": "loss", "event_date": "31/02/2026"})
    summary = check_summary(response, "id_event_date")
    assert "Date de l&#x27;événement : Saisissez une date valide" in summary


def test_the_signup_form_with_errors(client):
    response = client.post(reverse("accounts:signup"), {"email": "pas-une-adresse"})
    assert response.status_code == 422
    summary = check_summary(response, "id_email")
    assert len(re.findall("<li>", summary)) >= 2  # every error, not only the first


def test_a_backoffice_form_with_errors(verified_client, submitted, agent):
    from titles import services

    client = verified_client(agent)
    services.apply_transition(submitted, "take", actor=agent)
    url = reverse("backoffice:transition", kwargs={"reference": submitted.reference, "name": "reject"})
    response = client.post(url, {})
    assert response.status_code == 422
    check_summary(response)
