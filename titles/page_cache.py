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

When the applicant reads their own file and nothing else on the page can change without the fingerprint moving,
the **whole page** is kept (`cached_page`): a reload then costs the file's query and one cache round trip, no
template. The key holds the fingerprint, the reader (who they are, their second factor, a shared device), the day,
the release (`core.release`) and the path; the professional links of the navigation are checked in the same
round trip. The page's CSRF token and CSP nonce are the request's own: they are taken out of the kept page and put
back at each serving. Not kept whole: a page read by someone acting for the applicant (its banner names the
session or the mandate), a page showing a flash message, a refusal (it says whether the phone line and the nearest
point numérique are open now), and a procedure whose page reads other rows (`Procedure.page_shows_only_the_file`).
"""

import hashlib
import re

from django.contrib import messages
from django.core.cache import caches
from django.db.models.expressions import RawSQL
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone

from core import navigation
from core.release import release
from titles.models import Application, ApplicationEvent, GeneratedDocument, Message, UploadedDocument
from titles.registry import registry
from titles.workflow import Status

FRAGMENT_TTL = 15 * 60
PAGE_TTL = FRAGMENT_TTL
# Where the request's own CSRF token and CSP nonce go back into a kept page (characters no page holds).
CSRF_SLOT, NONCE_SLOT = "\x00csrf\x00", "\x00nonce\x00"
_CSRF_VALUE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

# (annotation, table, what it reads): scalar subqueries over the rows that make up the fragment, one per table (the
# aggregates of a table read together, as text: one index scan per table).
_PARTS = [
    ("fp_event", ApplicationEvent, "MAX(id)"),
    ("fp_message", Message, "MAX(id)"),
    ("fp_upload", UploadedDocument, "COUNT(*) || ':' || COALESCE(CAST(MAX(id) AS TEXT), '')"),
    ("fp_document", GeneratedDocument, "COUNT(*) || ':' || COALESCE(CAST(MAX(rendered_at) AS TEXT), '') || ':' || "
                                       "COALESCE(CAST(MAX(revoked_at) AS TEXT), '')"),
]


def with_fingerprint(queryset):
    """Add what the fingerprint is made of to the query that loads the file: no query of its own.

    Plain SQL (``RawSQL``): the ORM would build and compile the correlated subqueries on every page, which costs
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


def page_key(request, application):
    """The key of the whole page of `application` as `request` shows it, or None when it must be rendered."""
    user = request.user
    if request.method != "GET" or application.applicant_id != user.pk or application.status == Status.REJECTED:
        return None
    procedure = registry.get(application.procedure_code) if application.procedure_code in registry else None
    if procedure is None or not procedure.page_shows_only_the_file():
        return None
    if len(messages.get_messages(request)):  # shown once, then gone: this page is rendered
        return None
    verified = getattr(user, "is_verified", lambda: False)()
    shared = getattr(request, "shared_device", None)
    parts = [release(), fingerprint(application), user.pk, user.get_full_name(), user.email, verified, shared,
             timezone.localdate().isoformat(), request.path]
    return "dossier-page:" + hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()


def cached_page(request, application, render):
    """Return the page of `application` from the cache when it may be kept whole (`page_key`), else `render()`;
    a page rendered with a key is kept for the next reload."""
    key = page_key(request, application)
    if key is None:
        return render()
    cache, links_key = caches["default"], navigation.cache_key(request.user.pk)
    found = cache.get_many([key, links_key])
    kept = found.get(key)
    if kept is not None and links_key in found and kept["links"] == _links(found[links_key]):
        return _serve(request, kept)
    response = render()
    if response.status_code == 200 and not response.streaming:
        kept = _keep(request, response, links=navigation.staff_links(request.user))
        if kept is not None:
            cache.set(key, kept, PAGE_TTL)
    return response


def _keep(request, response, links):
    body = response.content.decode(response.charset)
    tokens = set(_CSRF_VALUE.findall(body))
    if len(tokens) > 1:  # one render, one token: anything else is not understood, so not kept
        return None
    for token in tokens:
        body = body.replace(token, CSRF_SLOT)
    nonce = getattr(request, "_csp_nonce", None)
    if isinstance(nonce, str) and nonce in body:
        body = body.replace(nonce, NONCE_SLOT)
    return {"body": body, "content_type": response["Content-Type"], "links": _links(links)}


def _links(links):
    return [tuple(link) for link in links or ()]


def _serve(request, kept):
    body = kept["body"]
    if CSRF_SLOT in body:
        body = body.replace(CSRF_SLOT, get_token(request))
    if NONCE_SLOT in body:
        body = body.replace(NONCE_SLOT, str(request.csp_nonce))
    return HttpResponse(body, content_type=kept["content_type"])
