"""Opening hours in OpenStreetMap's `opening_hours` syntax, read in French: "is it open now?".

The national data schema of the lieux de médiation numérique stores hours in this syntax
(https://wiki.openstreetmap.org/wiki/Key:opening_hours), e.g. ``Mo-Fr 08:30-12:30,13:15-16:00; PH off``;
`opening-hours-py` parses it, knows the French public holidays (``PH``) and the time zone, so a change of
summer time moves nothing.
"""

import datetime
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from opening_hours import OpeningHours, ParserError, State

from core.formats import french_date

DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
HELP_TEXT = (
    "Au format OpenStreetMap, par exemple « Mo-Fr 08:30-12:30,13:15-16:00; PH off » (du lundi au vendredi, fermé "
    "les jours fériés). Jours : Mo Tu We Th Fr Sa Su ; PH : jours fériés ; un texte libre entre guillemets "
    "(« \"sur rendez-vous\" ») est accepté."
)


def parse(text):
    """Return the OpeningHours of `text`, in the portal's time zone with France's public holidays.
    Raise ValueError for a text that is not in the syntax."""
    try:
        return OpeningHours(text, timezone=zoneinfo.ZoneInfo(settings.TIME_ZONE), country="FR")
    except (ParserError, SyntaxError) as error:
        raise ValueError(str(error)) from error


def validate_opening_hours(value):
    """The model field's validator: a French message for hours not in the OpenStreetMap syntax."""
    if not value:
        return
    try:
        parse(value)
    except ValueError as error:
        raise ValidationError(
            "Ces horaires ne sont pas au format OpenStreetMap : écrivez par exemple « Mo-Fr 08:30-12:30,13:15-16:00 » "
            "(Mo Tu We Th Fr Sa Su pour les jours, deux-points entre heures et minutes, une virgule entre deux "
            "plages, un point-virgule entre deux règles).",
            code="opening_hours",
        ) from error


def french_time(moment):
    """« 8 h 30 », « 16 h »."""
    return f"{moment.hour} h" + (f" {moment.minute:02d}" if moment.minute else "")


def _when(moment, now):
    days = (moment.date() - now.date()).days
    if days == 0:
        day = ""
    elif days == 1:
        day = "demain "
    elif days < 7:
        day = f"{DAYS[moment.weekday()]} "
    else:
        day = f"le {DAYS[moment.weekday()]} {french_date(moment.date())} "
    return f"{day}à {french_time(moment)}"


@dataclass(frozen=True)
class Status:
    is_open: bool
    text: str  # « Ouvert maintenant, ferme à 16 h », « Fermé, ouvre lundi à 8 h 30 »


def status(text, now=None):
    """Return whether the place is open at `now` (default: now) and the next change in French; None when the hours
    are unknown (blank, or only a comment such as "sur rendez-vous")."""
    if not text:
        return None
    try:
        hours = parse(text)
    except ValueError:
        return None
    now = timezone.localtime(now or timezone.now())
    state, comment = hours.state(now)
    if state == State.UNKNOWN or comment:  # "sur rendez-vous": the hours say it in words, shown as they are
        return None
    change = hours.next_change(now)
    change = timezone.localtime(change) if change is not None else None
    if state == State.OPEN:
        return Status(True, "Ouvert maintenant" + (f", ferme {_when(change, now)}" if change else ""))
    return Status(False, "Fermé" + (f", ouvre {_when(change, now)}" if change else ""))


def week(text, today=None):
    """Return the next seven days from `today` as (« lundi 7 décembre », « 8 h 30 – 12 h 30, 13 h 15 – 16 h »
    or « fermé »): the real days, public holidays included."""
    if not text:
        return []
    try:
        hours = parse(text)
    except ValueError:
        return []
    today = today or timezone.localdate()
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    start = datetime.datetime.combine(today, datetime.time(), tzinfo=tz)
    days = []
    for offset in range(7):
        day = today + datetime.timedelta(days=offset)
        begin = datetime.datetime.combine(day, datetime.time(), tzinfo=tz)
        end = begin + datetime.timedelta(days=1)
        intervals = list(hours.intervals(max(begin, start), end))
        if any(state == State.UNKNOWN or comment for _, _, state, comment in intervals):
            return []  # hours in words: shown as they are
        ranges = [f"{french_time(timezone.localtime(s))} – {french_time(timezone.localtime(e))}"
                  for s, e, state, _ in intervals if state == State.OPEN]
        days.append((f"{DAYS[day.weekday()]} {french_date(day).rsplit(' ', 1)[0]}", ", ".join(ranges) or "fermé"))
    return days
