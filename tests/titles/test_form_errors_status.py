"""Issue 14, 10 (and RGAA 11.10–11.11): a page that re-renders its form with errors answers 422 (Unprocessable
Content), never 200, on every kind of HTML form page; with the error summary first, its links on the fields (the
first radio of a group), the title prefixed « Erreur : », and what the person typed kept. One test per kind of page:
wizard step, start page, accounts, second factor, back office, médiateur, auto-école, mairie (appointment)."""

import html

import pytest
from django.urls import reverse

from accounts.enums import Role
from core.http import FORM_ERRORS_STATUS, form_status
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.titles.test_error_summary import check_summary

pytestmark = pytest.mark.django_db


def refused(response, *anchors, kept=()):
    assert response.status_code == FORM_ERRORS_STATUS == 422, response.status_code
    summary = check_summary(response, *anchors)
    page = html.unescape(response.content.decode())
    for value in kept:
        assert f'value="{value}"' in page or f">{value}</textarea>" in page, value
    return summary


def test_the_status_follows_the_forms_of_the_page():
    from django import forms

    class Form(forms.Form):
        name = forms.CharField()

    unchecked, valid, invalid = Form({"name": ""}), Form({"name": "x"}), Form({"name": ""})
    valid.is_valid(), invalid.is_valid()
    assert form_status({"form": unchecked}) == 200  # bound but not validated by the view: not validated here
    assert form_status({"form": valid}) == 200
    assert form_status({"form": invalid}) == 422
    assert form_status({"forms": [("reject", invalid)]}) == 422  # forms listed with their transition
    assert form_status({"form": invalid}, 400) == 422  # a generic refusal becomes the precise one
    assert form_status({"form": invalid}, 409) == 409  # a precise status given by the view stays
    assert form_status({"form": invalid}, 429) == 429


def test_a_wizard_step(client, procedure, citizen):
    from titles import services

    application = services.create_draft(procedure, applicant=citizen, filed_by=citizen)
    client.force_login(citizen)
    url = reverse("titles:step", kwargs={"reference": application.reference, "slug": "details"})
    assert client.get(url).status_code == 200
    refused(client.post(url, {"motive": "loss", "event_date": "31/02/2026"}), "id_event_date", kept=["31/02/2026"])


def test_a_start_page_with_a_radio_group(client, citizen):
    client.force_login(citizen)
    response = client.post(reverse("titles:start", kwargs={"code": "permis-perte"}), {})
    summary = refused(response, "id_what_0")  # the group's first radio: its label is a legend
    assert 'href="#id_what"' not in summary


def test_the_login_page(client):
    user = UserFactory()
    response = client.post(reverse("accounts:login"), {"username": user.email, "password": "pas le bon"})
    refused(response, kept=[user.email])


def test_the_signup_page(client):
    response = client.post(reverse("accounts:signup"), {"email": "pas-une-adresse"})
    refused(response, "id_email", kept=["pas-une-adresse"])


def test_the_second_factor(client):
    from tests.conftest import give_static_code

    staff = MembershipFactory(organisation=OrganisationFactory(point_numerique=True), role=Role.MEDIATEUR).user
    give_static_code(staff)
    client.force_login(staff)
    refused(client.post(reverse("accounts:otp_verify"), {"token": "000000"}), "id_token")


def test_the_password_reset_page(client):
    refused(client.post(reverse("accounts:password_reset"), {"email": "x"}), "id_email", kept=["x"])


def test_a_backoffice_form(verified_client, submitted, agent):
    from titles import services

    client = verified_client(agent)
    services.apply_transition(submitted, "take", actor=agent)
    url = reverse("backoffice:transition", kwargs={"reference": submitted.reference, "name": "reject"})
    refused(client.post(url, {}))


def test_the_mediateur_console(verified_client):
    place = OrganisationFactory(point_numerique=True)
    client = verified_client(MembershipFactory(organisation=place, role=Role.MEDIATEUR).user)
    refused(client.post(reverse("mediation:console"), {"email": "pas-une-adresse"}), "id_email",
            kept=["pas-une-adresse"])


def test_the_auto_ecole_empty_form(verified_client):
    school = OrganisationFactory(name="Auto-école du Port", agrement_number="E2108300010")
    client = verified_client(MembershipFactory(organisation=school, role="manager").user)
    response = client.post(reverse("licences:new_student"), {"given_names": "Léa"})
    refused(response, "id_email", kept=["Léa"])

