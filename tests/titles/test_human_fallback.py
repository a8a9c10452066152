"""A human fallback on every procedure (issue 14): the phone line, the way without this site where the law keeps
one, and the nearest point numérique — on the start page and on every refusal."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from tests.factories import OrganisationFactory, UserFactory
from tests.titles.conftest import complete_draft
from titles import services
from titles.registry import registry

pytestmark = pytest.mark.django_db
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
TUESDAY_MORNING = datetime.datetime(2026, 12, 1, 10, 0, tzinfo=PARIS)
LISTED = [procedure.code for procedure in registry.all() if procedure.listed]


@pytest.fixture
def var_points(db):
    OrganisationFactory(point_numerique=True, name="Point numérique de la préfecture du Var", departement="83",
                        postal_code="83000", city="Toulon", address="Boulevard du 112e RI",
                        opening_hours="Mo-Fr 08:30-12:30,13:15-16:00; PH off")
    OrganisationFactory(point_numerique=True, name="Point numérique de Draguignan", departement="83",
                        postal_code="83300", city="Draguignan", address="Rue Bernard Lazare",
                        opening_hours="Mo,We 08:30-11:45,14:00-16:15; Tu,Th,Fr 08:30-11:45; PH off")
    OrganisationFactory(point_numerique=True, name="Point de Nîmes", departement="30", postal_code="30000")


@pytest.mark.parametrize("code", LISTED)
def test_every_start_page_names_a_human_to_turn_to(client, code):
    html = client.get(reverse("titles:start", kwargs={"code": code})).content.decode()
    assert 'href="tel:3400"' in html and "ANTS" in html
    assert reverse("points_numeriques") in html


@pytest.mark.parametrize("code", LISTED)
def test_the_nearest_point_numerique_and_whether_it_is_open(client, var_points, code):
    client.force_login(UserFactory(postal_code="83300"))
    with time_machine.travel(TUESDAY_MORNING, tick=False):
        html = client.get(reverse("titles:start", kwargs={"code": code})).content.decode()
    fallback = html[html.index('id="aide-humaine"'):]
    assert "Point numérique de Draguignan" in fallback  # the person's own postal code first
    assert "ouvert maintenant, ferme à 11 h 45" in fallback
    assert "ouvert maintenant, ferme à 19 h" in fallback  # the phone line
    assert "Point de Nîmes" not in fallback and "préfecture du Var" not in fallback


@pytest.mark.parametrize(("code", "words"), [
    ("cni-pre-demande", "formulaire papier (cerfa)"),
    ("passeport-pre-demande", "formulaire papier (cerfa)"),
    ("cession", "mandat d'immatriculation signé (cerfa 13757)"),
    ("changement-titulaire", "mandat d'immatriculation signé (cerfa 13757)"),
])
def test_the_way_without_this_site_where_the_law_keeps_one(client, code, words):
    html = client.get(reverse("titles:start", kwargs={"code": code})).content.decode().replace("&#x27;", "'")
    assert "Sans passer par internet" in html and words in html and "Source :" in html
    assert registry.get(code).fallback.source


def test_a_situation_refused_online_names_a_human_too(client, var_points):
    client.force_login(UserFactory(postal_code="83000"))
    response = client.post(reverse("titles:start", kwargs={"code": "passeport-pre-demande"}),
                           {"abroad": "yes", "deposit_place": "france", "french": "yes"})
    html = response.content.decode()
    assert "ne se traite pas en ligne" in html
    assert 'href="tel:3400"' in html and "Point numérique de la préfecture du Var" in html


def test_a_rejected_file_names_a_human_too(client, procedure, citizen, agent, var_points):
    citizen.postal_code = "83000"
    citizen.save()
    application = complete_draft(procedure, citizen)
    services.apply_transition(application, "submit", actor=citizen)
    detail = reverse("titles:detail", kwargs={"reference": application.reference})
    client.force_login(citizen)
    assert 'id="aide-humaine"' not in client.get(detail).content.decode()
    services.apply_transition(application, "take", actor=agent)
    services.apply_transition(application, "reject", actor=agent, reason="Pièce illisible.")
    html = client.get(detail).content.decode()
    assert 'id="aide-humaine"' in html and "Point numérique de la préfecture du Var" in html
