"""Which département or collectivité a postal code belongs to, the one answer every app uses."""

import pytest

from core.geography import departement_of
from identity.rules import departement_of as identity_departement_of
from tests.factories import UserFactory
from vehicles.formats import departement_of as vehicles_departement_of


@pytest.mark.parametrize(("postal_code", "expected"), [
    ("83000", "83"), ("20000", "2A"), ("20200", "2B"), ("97100", "971"), ("97110", "971"), ("97200", "972"),
    ("97300", "973"), ("97400", "974"), ("97600", "976"), ("98800", "988"),
    # Saint-Barthélemy and Saint-Martin are their own collectivités since 2007, not Guadeloupe.
    ("97133", "977"), ("97150", "978"),
    ("", ""), ("8300", ""), ("83A00", ""),
])
def test_departement_of(postal_code, expected):
    assert departement_of(postal_code) == expected
    assert identity_departement_of(postal_code) == expected
    assert vehicles_departement_of(postal_code) == expected


@pytest.mark.django_db
def test_an_account_in_saint_martin_is_not_in_guadeloupe():
    assert UserFactory(postal_code="97150").departement == "978"
