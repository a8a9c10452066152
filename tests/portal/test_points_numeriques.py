"""/points-numeriques/: is it open now, and where (issue 14)."""

import datetime
import io
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from accounts.enums import OrganisationKind
from accounts.models import Organisation
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
TUESDAY_AFTERNOON = datetime.datetime(2026, 12, 1, 14, 30, tzinfo=PARIS)


@pytest.fixture
def var(db, settings):
    """The préfecture points of the Var, as the demo data loads them."""
    settings.DEBUG = True  # demo_data refuses to run otherwise
    call_command("demo_data", stdout=io.StringIO())
    settings.DEBUG = False
    OrganisationFactory(point_numerique=True, name="Point de Nîmes", departement="30", postal_code="30000",
                        city="Nîmes", opening_hours="Mo-Fr 09:00-12:00")


def test_the_var_points_say_whether_they_are_open(client, var, django_assert_max_num_queries):
    with time_machine.travel(TUESDAY_AFTERNOON, tick=False), django_assert_max_num_queries(3):
        html = client.get(reverse("points_numeriques"), {"q": "83"}).content.decode()
    toulon, draguignan = html.index("préfecture du Var"), html.index("sous-préfecture de Draguignan")
    assert "Ouvert maintenant, ferme à 16 h" in html[toulon:]
    assert "Fermé, ouvre demain à 8 h 30" in html[draguignan:]  # Tuesday: mornings only
    assert "Mardi 1er décembre" in html and "8 h 30 – 12 h 30, 13 h 15 – 16 h" in html
    assert "Point de Nîmes" not in html


@pytest.mark.parametrize(("query", "found", "not_found"), [
    ("Draguignan", "sous-préfecture de Draguignan", "préfecture du Var"),
    ("draguignan", "sous-préfecture de Draguignan", "préfecture du Var"),
    ("83300", "sous-préfecture de Draguignan", "Point de Nîmes"),
    ("30", "Point de Nîmes", "Draguignan"),
    ("Nîmes", "Point de Nîmes", "Draguignan"),
])
def test_search_by_commune_postal_code_or_departement(client, var, query, found, not_found):
    html = client.get(reverse("points_numeriques"), {"q": query}).content.decode()
    assert found in html and not_found not in html


def test_a_postal_code_lists_its_own_places_first_then_its_departement(client, var):
    html = client.get(reverse("points_numeriques"), {"q": "83 000"}).content.decode()
    assert html.index("préfecture du Var") < html.index("sous-préfecture de Draguignan")
    html = client.get(reverse("points_numeriques"), {"q": "83300"}).content.decode()
    assert html.index("sous-préfecture de Draguignan") < html.index("préfecture du Var")


def test_the_former_departement_parameter_still_works(client, var):
    assert "Point de Nîmes" in client.get(reverse("points_numeriques"), {"departement": "30"}).content.decode()


def test_hours_that_cannot_be_read_are_refused_at_save():
    place = Organisation(kind=OrganisationKind.POINT_NUMERIQUE, name="Espace", opening_hours="lundi 9h-12h")
    with pytest.raises(ValidationError) as refused:
        place.save()
    assert "format OpenStreetMap" in refused.value.messages[0]
    assert not Organisation.objects.filter(name="Espace").exists()
    place.opening_hours = "Mo 09:00-12:00"
    place.save()

