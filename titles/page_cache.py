"""The fingerprint of what a file's page shows, so the page's heavy part is rendered once per change.

A file's tracking page is read far more often than the file changes (a citizen reloads it while waiting for a
decision or a receipt). Its documents, timeline and messages are rendered once and cached under a fingerprint
of everything they are made of, read by scalar subqueries in the very query that loads the file: a page served from
the cache costs no query beyond the file's own.

What the fingerprint covers, and why that is enough:

- events and messages are append-only: the highest id changes with each new one;
- uploaded documents (pièces and message attachments) are created and deleted, never edited: their count and
  highest id change with each;
- generated documents change state (rendered, revoked): their count and latest rendering and revocation times;
- the file's own row: ``updated_at`` moves with every save.

Names of people and centres shown in the fragment are read when it is rendered; a renamed centre shows on the
next change of the file, or after ``FRAGMENT_TTL``.
"""

from django.db.models.expressions import RawSQL

from titles.models import Application, ApplicationEvent, GeneratedDocument, Message, UploadedDocument

FRAGMENT_TTL = 15 * 60

# (annotation, table, aggregate): scalar subqueries over the rows that make up the fragment.
_PARTS = [
    ("fp_event", ApplicationEvent, "MAX(id)"),
    ("fp_message", Message, "MAX(id)"),
    ("fp_upload_count", UploadedDocument, "COUNT(*)"),
    ("fp_upload_last", UploadedDocument, "MAX(id)"),
    ("fp_document_count", GeneratedDocument, "COUNT(*)"),
    ("fp_document_rendered", GeneratedDocument, "MAX(rendered_at)"),
    ("fp_document_revoked", GeneratedDocument, "MAX(revoked_at)"),
]


def with_fingerprint(queryset):
    """Add what the fingerprint is made of to the query that loads the file: no query of its own.

    Plain SQL (``RawSQL``): the ORM would build and compile seven correlated subqueries on every page, which costs
    more than running them."""
    outer = f"{Application._meta.db_table}.id"
    return queryset.annotate(
        **{
            name: RawSQL(f"SELECT {aggregate} FROM {model._meta.db_table} WHERE application_id = {outer}", [])
            for name, model, aggregate in _PARTS
        }
    )


def fingerprint(application):
    """A string that changes whenever the documents, timeline or messages of the file change."""
    if not hasattr(application, _PARTS[0][0]):  # loaded without with_fingerprint: read the parts now
        application = with_fingerprint(Application.objects.filter(pk=application.pk)).get()
    parts = [application.pk, application.updated_at.isoformat(), application.status, application.cert_id]
    parts += [getattr(application, name) for name, _, _ in _PARTS]
    return "|".join("" if part is None else str(part) for part in parts)
