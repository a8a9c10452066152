"""Opening hours in the OpenStreetMap syntax, read in French (issue 14: "is it open now?")."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from core.opening_hours import status, validate_opening_hours, week

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
TOULON = "Mo-Fr 08:30-12:30,13:15-16:00; PH off"
DRAGUIGNAN = "Mo,We 08:30-11:45,14:00-16:15; Tu,Th,Fr 08:30-11:45; PH off"


def at(*args):
    return datetime.datetime(*args, tzinfo=PARIS)


@pytest.mark.parametrize(("hours", "moment", "text"), [
    (TOULON, at(2026, 12, 1, 10, 0), "Ouvert maintenant, ferme à 12 h 30"),   # a Tuesday morning
    (TOULON, at(2026, 12, 1, 12, 45), "Fermé, ouvre à 13 h 15"),
    (TOULON, at(2026, 12, 1, 15, 0), "Ouvert maintenant, ferme à 16 h"),
    (TOULON, at(2026, 12, 4, 16, 0), "Fermé, ouvre lundi à 8 h 30"),           # Friday 16:00 sharp
    (TOULON, at(2026, 12, 1, 7, 0), "Fermé, ouvre à 8 h 30"),
    (TOULON, at(2026, 12, 1, 18, 0), "Fermé, ouvre demain à 8 h 30"),
    (DRAGUIGNAN, at(2026, 12, 1, 14, 30), "Fermé, ouvre demain à 8 h 30"),    # Tuesday: mornings only
    (DRAGUIGNAN, at(2026, 12, 2, 14, 30), "Ouvert maintenant, ferme à 16 h 15"),  # Wednesday afternoon
    (DRAGUIGNAN, at(2026, 12, 24, 12, 0), "Fermé, ouvre lundi à 8 h 30"),     # Christmas Friday is a holiday
    (TOULON, at(2026, 12, 31, 17, 0), "Fermé, ouvre lundi à 8 h 30"),  # 1 January is a holiday too
    ("Jan 11-Dec 31 Mo-Fr 09:00-12:00", at(2026, 12, 31, 17, 0), "Fermé, ouvre le lundi 11 janvier 2027 à 9 h"),
])
def test_open_now_and_the_next_change(hours, moment, text):
    assert status(hours, moment).text == text
    assert status(hours, moment).is_open is text.startswith("Ouvert")


def test_summer_time_moves_nothing():
    """The clocks go forward on Sunday 29 March 2026: Monday still opens at 8:30 Paris time."""
    with time_machine.travel(at(2026, 3, 27, 17, 0), tick=False):
        assert status(TOULON).text == "Fermé, ouvre lundi à 8 h 30"
    with time_machine.travel(at(2026, 3, 30, 8, 29), tick=False):
        assert status(TOULON).text == "Fermé, ouvre à 8 h 30"
    with time_machine.travel(at(2026, 3, 30, 8, 30), tick=False):
        assert status(TOULON).text == "Ouvert maintenant, ferme à 12 h 30"
    # And back on 25 October 2026, at UTC: 7:30 UTC is 8:30 in Paris in winter.
    with time_machine.travel(datetime.datetime(2026, 10, 26, 7, 30, tzinfo=datetime.UTC), tick=False):
        assert status(TOULON).is_open


def test_the_next_seven_days_with_their_holidays():
    with time_machine.travel(at(2026, 12, 21, 9, 0), tick=False):
        days = week(DRAGUIGNAN)
    assert days[:2] == [("lundi 21 décembre", "8 h 30 – 11 h 45, 14 h – 16 h 15"),
                        ("mardi 22 décembre", "8 h 30 – 11 h 45")]
    assert days[4] == ("vendredi 25 décembre", "fermé") and len(days) == 7


def test_hours_in_words_have_no_status():
    assert status('"sur rendez-vous"', at(2026, 12, 1, 10, 0)) is None and week('"sur rendez-vous"') == []
    assert status("", at(2026, 12, 1, 10, 0)) is None


def test_hours_not_in_the_syntax_are_refused_in_french():
    validate_opening_hours(TOULON)
    with pytest.raises(ValidationError) as refused:
        validate_opening_hours("Du lundi au vendredi de 8 h 30 à 12 h 30")
    assert "format OpenStreetMap" in refused.value.messages[0]
