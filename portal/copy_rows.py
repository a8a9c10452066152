"""Write model rows through PostgreSQL's COPY (psycopg2 `copy_expert`), for loading volumes the ORM would take hours
over: the caller gives the values of the fields it chooses, every other column is filled once from the field's
default (a unique field must be given, unless it may be NULL)."""

import datetime
import io
import json

from django.db import models
from django.utils import timezone

NULL = "\\N"
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def text(value):
    """Return `value` in COPY's text format."""
    if value is None:
        return NULL
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False).translate(_ESCAPES)
    return str(value).translate(_ESCAPES)


class Table:
    """One model's COPY: the given fields, in order, then the constant columns filled from the fields' defaults."""

    def __init__(self, model, fields):
        self.model = model
        self.fields = list(fields)
        meta = model._meta
        given = {meta.get_field(name).column for name in self.fields}
        now = timezone.now()
        self.constants = []
        for field in meta.concrete_fields:
            if field.column in given:
                continue
            if (field.unique and not (field.null and not field.has_default())) or field.primary_key:
                raise ValueError(f"{model.__name__}.{field.name} is unique: give its value")
            self.constants.append((field.column, text(self._default(field, now))))
        self.columns = [meta.get_field(name).column for name in self.fields] + [c for c, _ in self.constants]
        self.suffix = "".join("\t" + value for _, value in self.constants)

    @staticmethod
    def _default(field, now):
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            return now
        if field.has_default():
            return field.get_default()
        if field.null:
            return None
        if isinstance(field, (models.CharField, models.TextField)):
            return ""
        raise ValueError(f"{field.model.__name__}.{field.name} has no default: give its value")

    def copy(self, cursor, rows):
        """COPY the rows (tuples in the order of `fields`); return how many."""
        buffer = io.StringIO()
        count = 0
        suffix = self.suffix
        for row in rows:
            buffer.write("\t".join([text(value) for value in row]) + suffix + "\n")
            count += 1
        if count:
            buffer.seek(0)
            table = self.model._meta.db_table
            cursor.copy_expert(f'COPY "{table}" ({", ".join(self.columns)}) FROM STDIN', buffer)
        return count


def next_id(cursor, model):
    """Return the first primary key after those in use (the loader gives its own ids, then resets the sequence)."""
    cursor.execute(f'SELECT COALESCE(MAX(id), 0) + 1 FROM "{model._meta.db_table}"')
    return cursor.fetchone()[0]


def reset_sequence(cursor, model):
    table = model._meta.db_table
    cursor.execute(
        f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) "
        f'FROM "{table}"'
    )
