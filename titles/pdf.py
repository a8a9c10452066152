"""Render the portal's documents (récépissé, accusé d'enregistrement, CPI…) as PDF with WeasyPrint.

Only Celery tasks call ``render_pdf``: a render takes a noticeable fraction of a second and must never
run inside a request. WeasyPrint is imported on first use, so importing this module (from a tasks
module loaded by the web process) stays cheap.

A PDF template extends ``pdf/base.html`` and declares its version on its first line::

    {# version: 3 #}
    {% extends "pdf/base.html" %}

Bump the version whenever the wording or layout of a document changes, so that a stored document can
be traced back to the template that produced it. ``render_pdf`` passes it to the template as
``template_version``; the base layout writes it in the PDF metadata (``/templateversion``) and in
small print at the bottom of the last page.

Static assets resolve from disk, never from the network: the stylesheet ``pdf/pdf.css`` and the
Marianne font (shipped by django-dsfr) are located with Django's staticfiles finders, relative URLs
in templates resolve against the static directory holding ``pdf/pdf.css``, and the URL fetcher only
accepts ``file:`` and ``data:`` URLs. A resource that fails to load aborts the render rather than
issuing a document without its QR code.
"""

import atexit
import hashlib
import logging
import re
import threading
import warnings
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import get_template, render_to_string
from django.utils import timezone, translation

from core import qrcode

TEMPLATE_VERSION_ATTR = "template_version"
DEFAULT_TEMPLATE_VERSION = "1"
STYLESHEET = "pdf/pdf.css"
DEFAULT_BRAND_HTML = "République<br>française"

# The Marianne font as shipped by django-dsfr: (static path, CSS font-weight, CSS font-style).
MARIANNE_FACES = [
    ("dsfr/dist/fonts/Marianne-Regular.woff2", 400, "normal"),
    ("dsfr/dist/fonts/Marianne-Regular_Italic.woff2", 400, "italic"),
    ("dsfr/dist/fonts/Marianne-Bold.woff2", 700, "normal"),
    ("dsfr/dist/fonts/Marianne-Bold_Italic.woff2", 700, "italic"),
]
# Loggers WeasyPrint and its font stack use for warnings about CSS it ignores, font subsetting, etc.
QUIET_LOGGERS = ("weasyprint", "fontTools")

_VERSION_RE = re.compile(r"\A\s*\{#\s*version\s*:\s*([\w.-]+)\s*#\}")

# WeasyPrint's FontConfiguration is neither cheap to build nor thread-safe; one per process, renders
# serialised by a lock (Celery's prefork workers run one render per process anyway).
_font_config = None
_stylesheets = {}
_lock = threading.RLock()


class PdfRenderError(RuntimeError):
    """A document could not be rendered (e.g. a stylesheet or image failed to load)."""


def qr_data_uri(url: str) -> str:
    """Return a QR code of ``url`` as an SVG ``data:`` URI, for ``<img src>``; no file, no network."""
    # Level M survives a smudged or folded printout; it is raised further when it costs no size. The
    # 4-module quiet zone is kept: scanners need it.
    return qrcode.qr_data_uri(url, error="M")


def verification_qr_url(code: str) -> str:
    """The verification URL as a document's QR code carries it: ``HTTPS://HOST/V/CODE``.

    Scheme and host are case-insensitive and the codes are upper-case Crockford, so in upper case the whole URL
    fits QR's alphanumeric mode (5.5 bits a character instead of 8): a smaller symbol (version 3 instead of 4 for
    a usual host name), with larger modules at the same printed size, quicker to scan and to make. ``/V/<code>``
    redirects to ``/verifier/<code>/``, the address printed in words for people to type. A portal served under a
    sub-path (whose path is case-sensitive) keeps the long URL.
    """
    parts = urlsplit(settings.SITE_URL)
    if parts.path.strip("/"):
        return f"{settings.SITE_URL.rstrip('/')}/verifier/{code}/"
    return f"{parts.scheme}://{parts.netloc}".upper() + f"/V/{code}"


def template_version(template_name: str) -> str:
    """Return the version a template declares in a ``{# version: N #}`` first-line comment, or "1"."""
    source = getattr(get_template(template_name).template, "source", "")
    first_line = source.lstrip("\ufeff").split("\n", 1)[0]
    match = _VERSION_RE.match(first_line)
    return match[1] if match else DEFAULT_TEMPLATE_VERSION


def render_html(template_name: str, context: dict) -> str:
    """Render a PDF template to HTML in French and in the portal's time zone, whatever is active."""
    context = {
        "brand": getattr(settings, "PORTAL_BRAND_HTML", "") or DEFAULT_BRAND_HTML,
        "site_title": getattr(settings, "PORTAL_SITE_TITLE", ""),
        "document_title": "",
        "valid_until": None,
        **context,
        TEMPLATE_VERSION_ATTR: template_version(template_name),
    }
    if "qr" not in context and context.get("verify_url"):
        context["qr"] = qr_data_uri(context["verify_url"])
    with translation.override(settings.LANGUAGE_CODE), timezone.override(settings.TIME_ZONE):
        return render_to_string(template_name, context)


def render_pdf(template_name: str, context: dict) -> bytes:
    """Render a Django template to a PDF document and return its bytes.

    ``context`` holds at least what ``pdf/base.html`` needs: ``document_title``, ``verification_code``,
    ``verify_url``, ``issued_at`` (aware datetime) and ``valid_until`` (date or None); ``qr`` defaults
    to the QR code of ``verify_url``, ``brand`` to ``settings.PORTAL_BRAND_HTML`` and ``site_title`` to
    ``settings.PORTAL_SITE_TITLE``.
    """
    html_string = render_html(template_name, context)
    with _lock, _quiet():
        # Imported here, quietly: without libharfbuzz-subset, importing WeasyPrint 70 emits a
        # DeprecationWarning (it then subsets fonts with fontTools, which is slower).
        import weasyprint
        from weasyprint.urls import FatalURLFetchingError, URLFetcher

        font_config = _get_font_config()
        fetcher = URLFetcher(allowed_protocols={"file", "data"}, fail_on_errors=True)
        try:
            document = weasyprint.HTML(string=html_string, base_url=_base_url(), encoding="utf-8", url_fetcher=fetcher)
            return document.write_pdf(
                stylesheets=_get_stylesheets(font_config, fetcher),
                font_config=font_config,
                custom_metadata=True,
                pdf_tags=True,  # accessible PDF (RGAA): structure tree, reading order, alt text
                full_fonts=not _fast_font_subsetting(),
                # Derived from the document, not random: the same context gives the same bytes.
                pdf_identifier=_pdf_identifier(template_name, context),
            )
        except FatalURLFetchingError as exc:  # a BaseException: turn it into an ordinary error
            raise PdfRenderError(str(exc)) from exc


def warm_up():
    """Load WeasyPrint, the fonts and the stylesheets now rather than on the first document (a worker's start)."""
    with _lock, _quiet():
        import weasyprint  # noqa: F401
        from weasyprint.urls import URLFetcher

        _get_stylesheets(_get_font_config(), URLFetcher(allowed_protocols={"file", "data"}, fail_on_errors=True))


def _pdf_identifier(template_name, context) -> bytes:
    key = f"{template_name}\0{context.get('verification_code', '')}".encode()
    return hashlib.md5(key, usedforsecurity=False).hexdigest().encode()


def marianne_available() -> bool:
    """Whether django-dsfr's Marianne files are found (else the text falls back to DejaVu Sans / sans-serif)."""
    return all(finders.find(path) for path, _, _ in MARIANNE_FACES)


def _get_font_config():
    global _font_config
    if _font_config is None:
        from weasyprint.text.fonts import FontConfiguration

        _font_config = FontConfiguration()
        atexit.register(_drop_font_config)
    return _font_config


def _drop_font_config():
    """Let the FontConfiguration remove its temporary font folder while the interpreter still can."""
    global _font_config
    with _lock:
        _stylesheets.clear()
        _font_config = None


def _fast_font_subsetting() -> bool:
    """Whether WeasyPrint found libharfbuzz-subset.

    Without it WeasyPrint subsets fonts with fontTools, about 0.5 s per document for Marianne; we then
    embed the whole fonts instead (about 100 kB more per PDF, 3 times faster, same rendering).
    """
    from weasyprint.text import ffi

    return getattr(ffi, "harfbuzz_subset", None) is not None


def _stylesheet_path() -> Path:
    found = finders.find(STYLESHEET)
    if not found:
        raise PdfRenderError(f"Feuille de style introuvable : {STYLESHEET}")
    return Path(found)


def _base_url() -> str:
    """The static directory holding pdf/pdf.css, as a file: URL, so that relative URLs resolve on disk."""
    return _stylesheet_path().parents[len(Path(STYLESHEET).parts) - 1].as_uri() + "/"


def _font_faces_css() -> str:
    rules = []
    for path, weight, style in MARIANNE_FACES:
        found = finders.find(path)
        if found:
            rules.append(
                f'@font-face {{ font-family: "Marianne"; src: url("{Path(found).as_uri()}") format("woff2"); '
                f"font-weight: {weight}; font-style: {style}; }}"
            )
    return "\n".join(rules)


def _get_stylesheets(font_config, fetcher):
    """Parse the fonts and pdf.css once per process (again if pdf.css changes on disk)."""
    from weasyprint import CSS

    path = _stylesheet_path()
    key = (id(font_config), str(path), path.stat().st_mtime_ns)
    if key not in _stylesheets:
        _stylesheets.clear()
        _stylesheets[key] = [
            CSS(string=_font_faces_css(), font_config=font_config, url_fetcher=fetcher),
            CSS(filename=str(path), font_config=font_config, url_fetcher=fetcher),
        ]
    return _stylesheets[key]


@contextmanager
def _quiet():
    """Silence WeasyPrint's warnings (ignored CSS, font subsetting…) while rendering; keep errors."""
    loggers = [logging.getLogger(name) for name in QUIET_LOGGERS]
    levels = [logger.level for logger in loggers]
    try:
        for logger in loggers:
            logger.setLevel(logging.ERROR)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
