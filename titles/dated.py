"""Rules that change on a given day: each value with the day from which it applies and its legal source.

A rate or a rule can change in the middle of a year; a procedure asks for the one in force on the day of the
operation (`in_force(rows, on)`), so that a file filed before a change keeps the rule of its day."""

import dataclasses
import datetime


@dataclasses.dataclass(frozen=True)
class Dated:
    """One value of a rule, applicable from `valid_from` (inclusive) until the next row's `valid_from`."""

    valid_from: datetime.date
    value: object
    source: str


class NotInForce(LookupError):
    """No row of the rule applies yet on that day."""


def in_force(rows, on):
    """Return the row of `rows` in force on `on`: the latest whose `valid_from` is on or before that day."""
    day = on.date() if isinstance(on, datetime.datetime) else on
    current = None
    for row in rows:
        if row.valid_from <= day and (current is None or row.valid_from > current.valid_from):
            current = row
    if current is None:
        raise NotInForce(day)
    return current


def value_on(rows, on):
    """Return the value of the rule in force on `on`."""
    return in_force(rows, on).value
