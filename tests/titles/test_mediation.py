"""A médiateur helps a citizen under the citizen's own account, with their consent, every action in both names."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.enums import Role
from tests.factories import MembershipFactory, OrganisationFactory
from tests.titles.conftest import jpeg_upload
from titles.models import Application, ApplicationEvent
from titles.workflow import Actor

pytestmark = pytest.mark.django_db


@pytest.fixture
def place(db):
    return OrganisationFactory(point_numerique=True, name="Point numérique de Toulon")


@pytest.fixture
def mediateur(place):
    return MembershipFactory(organisation=place, role=Role.MEDIATEUR).user


def open_session(client, citizen, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("mediation:console"), {"email": citizen.email.upper()})
    consent_url = response.url
    code = re.search(r"ce code : (\d{6})", mail.outbox[-1].body).group(1)
    return consent_url, code


def test_assisted_filing_logs_both_names_and_stops_at_the_end(
    verified_client, mediateur, place, citizen, procedure, cert, django_capture_on_commit_callbacks
):
    client = verified_client(mediateur)
    consent_url, code = open_session(client, citizen, django_capture_on_commit_callbacks)
    assert mail.outbox[-1].to == [citizen.email]
    wrong = "000000" if code != "000000" else "111111"
    assert client.post(consent_url, {"code": wrong}).status_code == 400
    response = client.post(consent_url, {"code": code})
    session_url = response.url
    page = client.get(session_url).content.decode()
    assert "Commencer une démarche avec elle" in page

    start = reverse("titles:start", kwargs={"code": procedure.code})
    session_id = session_url.rstrip("/").split("/")[-1]
    response = client.post(start, {"seance": session_id})
    application = Application.objects.get(applicant=citizen)
    assert application.filed_by == mediateur and application.assisted_by == mediateur
    ref = application.reference
    client.post(
        reverse("titles:step", kwargs={"reference": ref, "slug": "details"}),
        {"motive": "loss", "event_date": "2026-11-02"},
    )
    client.post(reverse("titles:documents", kwargs={"reference": ref}), {"identity": jpeg_upload()})
    payment_url = reverse("titles:payment", kwargs={"reference": ref})
    number = re.search(r"n° (\d{16})", client.post(payment_url, {"acheter": "1"}).content.decode()).group(1)
    client.post(payment_url, {"timbre_number": number})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("titles:recap", kwargs={"reference": ref}))
    assert response.status_code == 302
    event = ApplicationEvent.objects.get(application=application, kind="submit")
    assert (event.actor, event.actor_role, event.acting_for, event.organisation) == (
        mediateur,
        Actor.MEDIATEUR,
        citizen,
        place,
    )

    client.post(reverse("mediation:end", kwargs={"pk": session_id}))
    assert client.get(reverse("titles:detail", kwargs={"reference": ref})).status_code == 404


def test_citizen_sees_who_helped_them(
    client, mediateur, place, citizen, procedure, django_capture_on_commit_callbacks
):
    from titles import services

    session = services.open_assisted_session(mediateur=mediateur, place=place, citizen=citizen)
    session.consented_at = session.created_at
    session.save(update_fields=["consented_at"])
    client.force_login(citizen)
    page = client.get(reverse("titles:dashboard")).content.decode()
    assert "Accompagnements" in page and mediateur.get_full_name() in page and place.name in page


def test_only_mediateurs_reach_the_console(verified_client, citizen):
    staff = MembershipFactory(organisation=OrganisationFactory(), role=Role.STAFF).user
    assert verified_client(staff).get(reverse("mediation:console")).status_code == 403


def test_console_needs_the_second_factor(client, mediateur):
    client.force_login(mediateur)
    response = client.get(reverse("mediation:console"))
    assert response.status_code == 302 and "second-facteur" in response.url


def test_unknown_citizen_gets_a_clear_message(verified_client, mediateur):
    response = verified_client(mediateur).post(reverse("mediation:console"), {"email": "inconnu@exemple.test"})
    assert "Aucun compte n&#x27;utilise cette adresse" in response.content.decode()


def test_consent_code_locks_after_five_wrong_tries(
    verified_client, mediateur, citizen, django_capture_on_commit_callbacks
):
    client = verified_client(mediateur)
    consent_url, code = open_session(client, citizen, django_capture_on_commit_callbacks)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        client.post(consent_url, {"code": wrong})
    assert client.post(consent_url, {"code": code}).status_code == 400
