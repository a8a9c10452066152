"""Keyset pagination: a page is "the rows after (or before) this one" in a fixed order, read through an index, so
page 5,000 costs what page 1 costs, and a file filed while an agent reads does not shift what the next page shows
(an OFFSET page does both wrong: it reads and drops every row before it, and slides when rows arrive).

The position travels in the URL as an opaque cursor: ``a.<key>`` (the rows after a key), ``b.<key>`` (the rows
before it), ``fin`` (the last page); none is the first page. A cursor that cannot be read raises `InvalidCursor`,
which the view answers with a 400 in French. The total is counted up to a cap: an exact count is a scan of every
matching index entry, whose cost grows with the queue (13 ms for a CERT's 4,000 pending files at 1 M, against 1 ms
at 10 k: `bench/run.sh --scale`), and « plus de 1 000 » is all a reader of one page needs; the backlog's exact
figures are the statistics' (precomputed, `titles/stats.py`).
"""

import base64
import binascii
import json
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Q

LAST = "fin"
COUNT_CAP = 1_000


class InvalidCursor(ValueError):
    """The cursor in the URL cannot be read (edited by hand, or cut)."""

    message = "Le lien de pagination est invalide ou incomplet : la première page de la file est affichée."


@dataclass
class KeysetPage:
    object_list: list
    has_previous: bool = False
    has_next: bool = False
    previous_cursor: str | None = None
    next_cursor: str | None = None
    count: int = 0
    count_capped: bool = False
    is_last_page: bool = False
    cap: int = COUNT_CAP

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)

    @property
    def last_cursor(self):
        return LAST

    @property
    def count_cap_display(self):
        """The cap as French print writes it: « 1 000 » (narrow no-break space)."""
        return f"{self.cap:,}".replace(",", "\u202f")

    @property
    def has_other_pages(self):
        return self.has_previous or self.has_next


def _encode(values):
    text = json.dumps([value.isoformat() if hasattr(value, "isoformat") else value for value in values])
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _beyond(keys, values, op):
    """Return the Q of the rows strictly after (`gt`) or before (`lt`) `values` in the lexicographic order of
    `keys`, led by a bound on the first key alone so that the index range starts there."""
    condition = Q(**{f"{keys[-1]}__{op}": values[-1]})
    for key, value in reversed(list(zip(keys[:-1], values[:-1], strict=True))):
        condition = Q(**{f"{key}__{op}": value}) | (Q(**{key: value}) & condition)
    return Q(**{f"{keys[0]}__{op}e": values[0]}) & condition


class KeysetPaginator:
    """Paginate `queryset` in the ascending order of `keys` (non-null fields, the last one unique: the pk)."""

    def __init__(self, queryset, keys, per_page, count_cap=COUNT_CAP):
        self.queryset = queryset
        self.keys = tuple(keys)
        self.per_page = per_page
        self.count_cap = count_cap
        meta = queryset.model._meta
        self.fields = [meta.pk if key == "pk" else meta.get_field(key) for key in self.keys]

    def _values(self, row):
        pairs = zip(self.keys, self.fields, strict=True)
        return [getattr(row, "pk" if key == "pk" else field.attname) for key, field in pairs]

    def _decode(self, text):
        try:
            padded = text + "=" * (-len(text) % 4)
            raw = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")).decode())
            if not isinstance(raw, list) or len(raw) != len(self.keys):
                raise InvalidCursor(text)
            return [field.to_python(value) for field, value in zip(self.fields, raw, strict=True)]
        except (ValueError, TypeError, UnicodeError, binascii.Error, ValidationError) as error:
            raise InvalidCursor(text) from error

    def _ordered(self, descending=False):
        prefix = "-" if descending else ""
        return self.queryset.order_by(*(prefix + key for key in self.keys))

    def _exists_beyond(self, row, op):
        return self.queryset.filter(_beyond(self.keys, self._values(row), op)).exists()

    def page(self, cursor=None):
        """Return the page the cursor names (None: the first). Raise InvalidCursor on an unreadable one."""
        size = self.per_page
        cursor = (cursor or "").strip()
        if not cursor:
            rows = list(self._ordered()[: size + 1])
            page = KeysetPage(rows[:size], has_next=len(rows) > size)
        elif cursor == LAST:
            rows = list(self._ordered(descending=True)[: size + 1])
            page = KeysetPage(rows[:size][::-1], has_previous=len(rows) > size, is_last_page=True)
        elif cursor[:2] in ("a.", "b."):
            values = self._decode(cursor[2:])
            if cursor[0] == "a":
                rows = list(self._ordered().filter(_beyond(self.keys, values, "gt"))[: size + 1])
                page = KeysetPage(rows[:size], has_next=len(rows) > size)
                page.has_previous = bool(page.object_list) and self._exists_beyond(page.object_list[0], "lt")
            else:
                rows = list(self._ordered(descending=True).filter(_beyond(self.keys, values, "lt"))[: size + 1])
                page = KeysetPage(rows[:size][::-1], has_previous=len(rows) > size)
                page.has_next = bool(page.object_list) and self._exists_beyond(page.object_list[-1], "gt")
        else:
            raise InvalidCursor(cursor)
        if page.object_list:
            page.previous_cursor = "b." + _encode(self._values(page.object_list[0]))
            page.next_cursor = "a." + _encode(self._values(page.object_list[-1]))
        page.is_last_page = page.is_last_page or not page.has_next
        counted = self.queryset.order_by()[: self.count_cap + 1].count()
        page.count, page.count_capped = min(counted, self.count_cap), counted > self.count_cap
        page.cap = self.count_cap
        return page
