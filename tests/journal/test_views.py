"""Mon espace, « Qui a agi pour moi »: the person concerned reads every act done for them, and only theirs."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.enums import Role
from journal import services as journal
from journal.enums import Action
from tests.factories import MembershipFactory, OrganisationFactory
from titles import services

pytestmark = pytest.mark.django_db

PAGE = reverse("journal:mine")
AT = datetime.datetime(2026, 11, 3, 9, 30, tzinfo=datetime.UTC)  # 10 h 30 in Paris


@pytest.fixture
def place(db):
    return OrganisationFactory(point_numerique=True, name="Point numérique de Toulon")


@pytest.fixture
def mediateur(place):
    return MembershipFactory(organisation=place, role=Role.MEDIATEUR).user


def test_the_page_shows_who_acted_for_me_and_nothing_of_others(client, citizen, other_citizen, mediateur, place):
    with time_machine.travel(AT, tick=False):
        services.open_assisted_session(mediateur=mediateur, place=place, citizen=citizen)
    with time_machine.travel(AT + datetime.timedelta(days=1), tick=False):
        journal.record("file.step_saved", actor=mediateur, acting_for=citizen, organisation=place, role="mediateur",
                       subject="ABCDEFGHJK", payload={"label": "Étape du formulaire enregistrée"})
        journal.record("file.annotation", actor=mediateur, acting_for=citizen, role="agent", subject="ABCDEFGHJK",
                       payload={"label": "Annotation"}, public=False)
        school = OrganisationFactory(name="Auto-école des Autres")
        journal.record(Action.MANDATE_CREATED, actor=MembershipFactory(organisation=school).user,
                       acting_for=other_citizen, organisation=school, role="filer", subject="mandat 99")

    client.force_login(citizen)
    page = client.get(PAGE).content.decode()
    assert "Qui a agi pour moi" in page and "2 actes" in page
    assert mediateur.get_full_name() in page and "médiateur numérique" in page and "Point numérique de Toulon" in page
    assert "Séance d&#x27;accompagnement ouverte" in page and "3 novembre 2026 à 10:30" in page
    assert "Étape du formulaire enregistrée" in page and "ABCDEFGHJK" in page
    assert page.index("4 novembre 2026") < page.index("3 novembre 2026")  # newest first
    assert "Annotation" not in page  # kept for the administration
    assert "Auto-école des Autres" not in page and "mandat 99" not in page

    client.force_login(other_citizen)
    page = client.get(PAGE).content.decode()
    assert "Auto-école des Autres" in page and "Point numérique de Toulon" not in page and "ABCDEFGHJK" not in page


def test_my_own_acts_on_my_mandates_read_as_mine(client, citizen):
    school = OrganisationFactory(name="Auto-école du Port")
    journal.record(Action.MANDATE_REVOKED, actor=citizen, acting_for=citizen, organisation=school, role="applicant",
                   subject="mandat 7")
    client.force_login(citizen)
    page = client.get(PAGE).content.decode()
    assert "Vous" in page and "Mandat révoqué" in page and "Auto-école du Port" in page


def test_an_empty_journal_says_so(client, citizen):
    client.force_login(citizen)
    assert "Personne n'a encore agi pour vous." in client.get(PAGE).content.decode()


def test_the_page_needs_a_signed_in_person(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and reverse("accounts:login") in response.url


def test_the_page_is_paginated_without_n_plus_one(client, citizen, mediateur, place):
    def add(count, start, prefix):
        for index in range(count):
            with time_machine.travel(start + datetime.timedelta(minutes=index), tick=False):
                journal.record("file.step_saved", actor=MembershipFactory(organisation=place).user,
                               acting_for=citizen, organisation=place, role="mediateur",
                               subject=f"{prefix}{index:02d}", payload={"label": "Étape du formulaire enregistrée"})

    add(5, AT, "OLD")
    client.force_login(citizen)
    client.get(PAGE)
    with CaptureQueriesContext(connection) as few:
        client.get(PAGE)
    add(30, AT + datetime.timedelta(days=1), "NEW")
    with CaptureQueriesContext(connection) as many:
        first = client.get(PAGE).content.decode()
    assert len(many) == len(few)
    assert "35 actes" in first and "page 1 sur 2" in first and "NEW29" in first and "OLD" not in first
    second = client.get(PAGE, {"page": 2}).content.decode()
    assert "OLD04" in second and "OLD00" in second and "NEW" not in second
    assert client.get(PAGE, {"page": "n'importe quoi"}).status_code == 200


def test_mon_espace_links_to_the_journal(client, citizen):
    client.force_login(citizen)
    assert PAGE in client.get(reverse("titles:dashboard")).content.decode()
