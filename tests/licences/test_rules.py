"""Rules of the permis given as data, with their day boundaries: the validity of the groupe lourd by age, the free
new card after a détérioration, the recensement attestation enough at 17, the exchange of a licence from a French
collectivité d'outre-mer at any time."""

import datetime

import pytest
import time_machine

from core.dates import add_years
from licences.enums import Code
from licences.forms import ExchangeForm
from licences.models import Licence
from licences.services import heavy_valid_until, set_category
from tests.factories import UserFactory
from tests.licences.conftest import STEPS, fill, jpeg, new_draft
from titles import services
from titles.uploads import clean_upload

pytestmark = pytest.mark.django_db

D = datetime.date.fromisoformat
BORN = D("1966-06-15")  # 55 on 2021-06-15, 60 on 2026-06-15, 76 on 2042-06-15


@pytest.mark.parametrize(("category", "start", "expected"), [
    ("C", "2021-06-14", "2026-06-14"),  # 54: 5 years
    ("D", "2021-06-14", "2026-06-14"),
    ("C", "2021-06-15", "2026-06-15"),  # 55: until the 60th birthday
    ("CE", "2024-01-10", "2026-06-15"),
    ("D1", "2026-06-14", "2026-06-15"),  # the day before 60: one day left
    ("C", "2026-06-15", "2028-06-15"),  # 60: 2 years for C…
    ("C1E", "2030-02-01", "2032-02-01"),
    ("D", "2026-06-15", "2027-06-15"),  # …1 year for D
    ("DE", "2042-06-14", "2043-06-14"),
    ("C", "2042-06-14", "2044-06-14"),  # 75
    ("C", "2042-06-15", "2043-06-15"),  # 76: 1 year
])
def test_heavy_validity_by_age(category, start, expected):
    assert heavy_valid_until(category, D(start), BORN) == D(expected)


def test_a_renewal_at_57_lasts_until_the_60th_birthday(citizen):
    citizen.birth_date = BORN
    citizen.save()
    licence = Licence.objects.create(holder=citizen)
    set_category(licence, "C", obtained_on=D("1990-01-01"), renewed_on=D("2023-09-01"))
    set_category(licence, "B", obtained_on=D("1985-01-01"))
    assert licence.categories.get(category="C").valid_until == D("2026-06-15")
    assert licence.categories.get(category="B").valid_until is None


def test_a_new_card_after_a_deterioration_is_free(citizen):
    application = new_draft(Code.DAMAGE, citizen)
    assert application.procedure.fee_lines(application) == []
    citizen.postal_code = "97300"  # Guyane: still nothing to pay
    assert application.procedure.fee_lines(application) == []
    loss = new_draft(Code.LOSS, citizen)
    assert [line.cents for line in loss.procedure.fee_lines(loss)] == [1250]


TODAY = datetime.date(2026, 11, 27)


@pytest.mark.parametrize(("birth", "given", "problem"), [
    # 17: the attestation de recensement is enough (or the JDC certificate); nothing at all is not.
    ("2009-11-27", {"recensement"}, None),
    ("2009-11-27", {"jdc"}, None),
    ("2009-11-27", set(), "attestation de recensement"),
    # 18 today: the JDC certificate is needed, the recensement no longer enough.
    ("2008-11-27", {"recensement"}, "certificat de participation à la JDC"),
    ("2008-11-28", {"recensement"}, None),  # 18 tomorrow
    ("2008-11-27", {"jdc"}, None),
    # 16: nothing.
    ("2010-11-28", set(), None),
])
def test_inscription_at_17_takes_the_recensement(birth, given, problem, issue_code):
    with time_machine.travel(datetime.datetime(2026, 11, 27, 10, tzinfo=datetime.UTC), tick=False):
        young = UserFactory(birth_date=D(birth))
        application = fill(new_draft(Code.INSCRIPTION, young), code=issue_code())
        for kind in given | {"assr"}:
            services.add_document(application, kind=kind, clean_file=clean_upload(jpeg()), uploaded_by=young)
        problems = " ".join(services.missing_for_submission(application))
    if problem is None:
        assert "JDC" not in problems and "recensement" not in problems
    else:
        assert problem in problems


def test_a_licence_from_a_french_collectivite_is_exchangeable_at_any_time(citizen, issue_code):
    data = {**STEPS[Code.EXCHANGE]["permis-etranger"], "zone": "french_overseas", "country": "Polynésie française",
            "in_french": "", "settled_on": add_years(TODAY, -3).isoformat()}
    with time_machine.travel(datetime.datetime(2026, 11, 27, 10, tzinfo=datetime.UTC), tick=False):
        assert ExchangeForm(data=data).is_valid()
        assert not ExchangeForm(data={**data, "zone": "other"}).is_valid()  # a foreign one: one year only
        application = fill(new_draft(Code.EXCHANGE, citizen), code=issue_code(),
                           steps={"permis-etranger": data})
        assert services.missing_for_submission(application) == []  # no translation asked
    zone = next(q for q in application.procedure.eligibility if q.name == "zone")
    assert "french_overseas" in dict(zone.choices) and "french_overseas" not in (zone.redirect or {})
