"""core.formats and core.dates: the one way amounts, dates and month arithmetic are written across the portal."""

import datetime
import zoneinfo

import pytest
from django.utils import translation

from core.dates import add_months, add_years
from core.formats import de, euros, french_date
from titles.templatetags.titles_tags import de as de_filter
from titles.templatetags.titles_tags import euros as euros_filter

UTC = datetime.UTC
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


@pytest.mark.parametrize(("cents", "text"), [
    (1376, "13,76 €"), (2500, "25 €"), (0, "0 €"), (5, "0,05 €"), (123450, "1\u202f234,50 €"), (-1100, "-11 €"),
])
def test_euros(cents, text):
    assert euros(cents) == text


def test_the_template_filter_is_the_same_and_blank_for_what_is_no_amount():
    assert euros_filter("31376") == "313,76 €" and euros_filter(None) == "" and euros_filter("abc") == ""


def test_french_date_whatever_the_active_language_and_whatever_it_is_given():
    with translation.override("en"):
        assert french_date(datetime.date(2026, 3, 2)) == "2 mars 2026"
        assert french_date("2019-03-14") == "14 mars 2019"
        assert french_date("2019-08-01T10:00:00+00:00") == "1er août 2019"
    assert french_date(None) == "" and french_date("") == ""


def test_french_date_reads_an_aware_datetime_in_the_portals_time_zone():
    # 23:30 UTC on 31 December is already 1 January in Paris.
    assert french_date(datetime.datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == "1er janvier 2027"
    assert french_date(datetime.datetime(2026, 12, 31, 23, 30)) == "31 décembre 2026"


@pytest.mark.parametrize(("day", "months", "expected"), [
    ("2026-01-31", 1, "2026-02-28"), ("2028-01-31", 1, "2028-02-29"), ("2026-03-31", -1, "2026-02-28"),
    ("2026-12-15", 1, "2027-01-15"), ("2026-05-10", -8, "2025-09-10"),
])
def test_add_months_clamps_to_the_end_of_a_shorter_month(day, months, expected):
    assert add_months(datetime.date.fromisoformat(day), months) == datetime.date.fromisoformat(expected)


def test_add_years_and_datetimes_keep_their_time_and_zone():
    assert add_years(datetime.date(2024, 2, 29), 1) == datetime.date(2025, 2, 28)
    moment = datetime.datetime(2026, 1, 31, 9, 15, tzinfo=PARIS)
    assert add_months(moment, 1) == datetime.datetime(2026, 2, 28, 9, 15, tzinfo=PARIS)


@pytest.mark.parametrize(("name", "text"), [
    ("Angela Martin", "d'Angela Martin"), ("Émile Zola", "d'Émile Zola"), ("Yves Roux", "d'Yves Roux"),
    ("Karim Benali", "de Karim Benali"), ("Hélène Châtelet", "de Hélène Châtelet"), ("", "de "),
])
def test_de_elides_before_a_vowel(name, text):
    """Issue 14, defect 10: « pour le compte de Angela » read « pour le compte d'Angela »."""
    assert de(name) == text == de_filter(name)
