"""Rules of the register that depend on the day: the contrôle technique a sale needs (over 4 years, over 5 years
for a vehicle of catégorie L since the contrôle of two-wheelers began), and a contre-visite under 2 months."""

import datetime

import pytest
import time_machine

from tests.vehicles.conftest import declare_cession, fill, make_vehicle
from titles import services as titles_services
from titles.registry import registry
from vehicles.deadlines import needs_controle_technique
from vehicles.enums import CHANGEMENT_TITULAIRE, Category
from vehicles.forms import ControleTechniqueForm

pytestmark = pytest.mark.django_db

D = datetime.date.fromisoformat


@pytest.mark.parametrize(("category", "first", "sold", "needed"), [
    # A car: over 4 years.
    (Category.VP, "2022-06-15", "2026-06-15", False), (Category.VP, "2022-06-15", "2026-06-16", True),
    (Category.CTTE, "2022-06-15", "2026-06-16", True),
    # Catégorie L: over 5 years, not over 4.
    (Category.MTT2, "2021-06-15", "2026-06-15", False), (Category.MTT2, "2021-06-15", "2026-06-16", True),
    (Category.MTL, "2022-06-01", "2026-06-16", False), (Category.CL, "2020-01-01", "2026-06-16", True),
    (Category.QM, "2020-01-01", "2026-06-16", True),
    # Before the contrôle of catégorie L began (15 April 2024), none.
    (Category.MTT1, "2010-01-01", "2024-04-14", False), (Category.MTT1, "2010-01-01", "2024-04-15", True),
])
def test_controle_technique_at_a_sale(category, first, sold, needed):
    assert needs_controle_technique(D(first), D(sold), category) is needed


NOW = datetime.datetime(2026, 11, 27, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture
def motorcycle_sale(seller, buyer, cert):
    """A motorcycle of 6 years sold yesterday, and the buyer's draft up to the contrôle technique step."""
    with time_machine.travel(NOW, tick=False):
        motorcycle = make_vehicle(seller, category=Category.MTT2, first_registration_date=D("2020-09-01"))
        _, code = declare_cession(seller, motorcycle, buyer=buyer, sold_at=NOW - datetime.timedelta(days=1))
        application = titles_services.create_draft(registry.get(CHANGEMENT_TITULAIRE), applicant=buyer,
                                                   filed_by=buyer)
        fill(application, "vehicule", {"registration_number": motorcycle.registration_number,
                                       "code_de_cession": code})
        yield application


@pytest.mark.parametrize(("ct", "contre_visite", "error"), [
    ("2026-07-01", "", None),
    ("2026-07-01", "2026-10-01", None),
    ("2026-07-01", "2026-09-25", "plus de 2 mois"),  # the sale was on 26 November: 2 months back is 26 September
    ("2026-07-01", "2026-09-26", None),
    ("2026-07-01", "2026-06-30", "antérieure"),
    ("2026-07-01", "2026-11-28", "futur"),
    ("2026-05-25", "", "plus de 6 mois"),
])
def test_a_contre_visite_must_be_under_two_months_at_the_sale(motorcycle_sale, ct, contre_visite, error):
    with time_machine.travel(NOW, tick=False):
        form = ControleTechniqueForm(data={"ct_date": ct, "contre_visite_date": contre_visite},
                                     application=motorcycle_sale)
        assert form.required and "plus de 5 ans" in form.fields["ct_date"].help_text
        assert form.is_valid() is (error is None)
        if error:
            assert error in str(form.errors)


def test_a_recent_motorcycle_needs_no_controle(seller, buyer, cert):
    with time_machine.travel(NOW, tick=False):
        motorcycle = make_vehicle(seller, category=Category.MTT2, first_registration_date=D("2022-01-01"))
        _, code = declare_cession(seller, motorcycle, buyer=buyer)
        application = titles_services.create_draft(registry.get(CHANGEMENT_TITULAIRE), applicant=buyer,
                                                   filed_by=buyer)
        fill(application, "vehicule", {"registration_number": motorcycle.registration_number,
                                       "code_de_cession": code})
        form = ControleTechniqueForm(data={}, application=application)
        assert not form.required and form.is_valid()
        assert "moins de 5 ans" in form.fields["ct_date"].help_text


def test_a_required_controle_is_not_labelled_optional(motorcycle_sale):
    """Issue 14, defect 4: the CT date of a vehicle past its first contrôle was labelled « (Optionnel) »."""
    with time_machine.travel(NOW, tick=False):
        shown = ControleTechniqueForm(application=motorcycle_sale)
        assert "(Optionnel)" not in str(shown["ct_date"].as_field_group())
        assert "(Optionnel)" in str(shown["contre_visite_date"].as_field_group())  # only after a failed contrôle
        form = ControleTechniqueForm(data={}, application=motorcycle_sale)
        assert not form.is_valid()
        assert form.errors["ct_date"] == ["Indiquez la date du contrôle technique : il est obligatoire pour un "
                                          "véhicule de plus de 5 ans."]
