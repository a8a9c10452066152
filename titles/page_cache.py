"""The fingerprint of what a file's page shows, so the page's heavy part is rendered once per change.

A file's tracking page is read far more often than the file changes (a citizen reloads it while waiting for a
decision or a receipt). Its documents, timeline and messages are rendered once and cached under a fingerprint
of everything they are made of, read in one statement of scalar subqueries: a page served from the cache costs
two queries, the file's row and its fingerprint.

What the fingerprint covers, and why that is enough:

- events and messages are append-only: the highest id changes with each new one;
- uploaded documents (pièces and message attachments) are created and deleted, never edited: their count and
  highest id change with each;
- generated documents change state (rendered, revoked): their count and latest rendering and revocation times;
- the file's own row: ``updated_at`` moves with every save.

Names of people and centres shown in the fragment are read when it is rendered; a renamed centre shows on the
next change of the file, or after ``FRAGMENT_TTL``.
"""

from functools import cache

from django.db import connection

from titles.models import ApplicationEvent, GeneratedDocument, Message, UploadedDocument

FRAGMENT_TTL = 15 * 60


@cache
def _fingerprint_sql():
    """One statement of scalar subqueries, built once: the ORM would rebuild and recompile it on every page."""
    parts = [
        (ApplicationEvent, "MAX(id)"),
        (Message, "MAX(id)"),
        (UploadedDocument, "COUNT(*)"),
        (UploadedDocument, "MAX(id)"),
        (GeneratedDocument, "COUNT(*)"),
        (GeneratedDocument, "MAX(rendered_at)"),
        (GeneratedDocument, "MAX(revoked_at)"),
    ]
    columns = [
        f"(SELECT {aggregate} FROM {model._meta.db_table} WHERE application_id = %s)" for model, aggregate in parts
    ]
    return "SELECT " + ", ".join(columns), len(parts)


def fingerprint(application):
    """A string that changes whenever the documents, timeline or messages of the file change."""
    sql, count = _fingerprint_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, [application.pk] * count)
        row = cursor.fetchone()
    parts = [application.pk, application.updated_at.isoformat(), application.status, application.cert_id, *row]
    return "|".join("" if part is None else str(part) for part in parts)
