"""Reads for the pré-demande's pages, kept out of the views: the free appointment slots of the equipped mairies."""

import datetime

from django.utils import timezone

from identity.models import Mairie, Slot
from identity.rules import BOOKING_HORIZON_DAYS


def _monday(day):
    return day - datetime.timedelta(days=day.weekday())


def slot_listing(application, *, commune="", week=None, now=None):
    """Return the free slots of the equipped mairies for one week, grouped by mairie and day, with the weeks before
    and after that have slots (three queries, whatever the number of slots). Any equipped mairie in France takes
    the demande: without a search, those of the holder's département are shown first; a commune or a postal code
    searches every département."""
    now = now or timezone.now()
    procedure = application.procedure
    departement = procedure.departement(application)
    mairies = Mairie.objects.equipped()
    mairies = mairies.matching(commune) if commune else mairies.filter(departement=departement)
    today = timezone.localdate(now)
    last_day = min(today + datetime.timedelta(days=BOOKING_HORIZON_DAYS), application.pre_demande.expires_on)
    end = timezone.make_aware(datetime.datetime.combine(last_day + datetime.timedelta(days=1), datetime.time()))
    free = Slot.objects.free().upcoming(now).filter(mairie__in=mairies, start__lt=end)
    days = free.datetimes("start", "day")
    weeks = sorted({_monday(timezone.localtime(day).date()) for day in days})
    monday = _monday(week) if week else None
    if monday not in weeks:
        monday = weeks[0] if weeks else _monday(today)
    week_end = timezone.make_aware(datetime.datetime.combine(monday + datetime.timedelta(days=7), datetime.time()))
    week_start = timezone.make_aware(datetime.datetime.combine(monday, datetime.time()))
    slots = free.filter(start__gte=week_start, start__lt=week_end).select_related("mairie").order_by(
        "mairie__city", "mairie__name", "start"
    )
    groups, shown_days = {}, set()
    for slot in slots:
        group = groups.setdefault(slot.mairie_id, {"mairie": slot.mairie, "days": {}})
        day = timezone.localtime(slot.start).date()
        group["days"].setdefault(day, []).append(slot)
        shown_days.add(day)
    return {
        "departement": departement,
        "groups": [{"mairie": g["mairie"], "days": sorted(g["days"].items())} for g in groups.values()],
        "week": monday,
        # Monday to Friday, or to the Saturday or Sunday when a mairie opens then.
        "week_last_day": max([monday + datetime.timedelta(days=4), *shown_days]),
        "previous_week": max((w for w in weeks if w < monday), default=None),
        "next_week": min((w for w in weeks if w > monday), default=None),
        "last_day": last_day,
        "equipped_count": mairies.count(),
    }
