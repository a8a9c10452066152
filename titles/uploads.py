"""The one place that checks and cleans a file uploaded for a téléprocédure.

Citizens upload scans and photos (identity documents, proofs of address, contrôle technique…). Every upload goes
through :func:`clean_upload`, which:

* reads at most ``max_bytes + 1`` bytes, whatever the request claims;
* detects the type from the content (magic bytes), never from the name or the browser's content type;
* for an image: checks the pixel count from the header *before* decoding, decodes it fully (a truncated file is
  refused), applies the EXIF orientation and re-encodes it (JPEG quality 85, or PNG when it really has
  transparency) with no metadata at all: no EXIF (so no GPS), no XMP, no ICC profile, no comment;
* for a PDF: parses it with pypdf, refuses encrypted ones, counts pages, and refuses active content (JavaScript,
  launch actions, embedded files, automatic actions other than "go to a page": `titles.pdf_checks`); the original
  bytes are kept.

Every refusal is an :class:`UploadRejected`, a ``ValidationError`` with a French message and a code, so a form that
calls ``clean_upload`` in its ``clean_<field>`` shows it on the field. Warnings and pypdf's log records raised while
looking at the untrusted file never escape.

The stored file name must never come from the user: callers use internal names. :func:`safe_display_name` is only
for showing the name and for ``Content-Disposition`` (:func:`content_disposition`).
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import threading
import unicodedata
import warnings
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.utils.http import content_disposition_header
from PIL import Image, ImageFile, ImageOps
from pypdf import PdfReader

from titles import pdf_checks

logger = logging.getLogger(__name__)

KINDS = ("image", "pdf")
_KIND_LABELS = {"image": ("JPEG", "PNG"), "pdf": ("PDF",)}

JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PDF_MAGIC = b"%PDF-"
PDF_HEADER_WINDOW = 1024

JPEG_QUALITY = 85
# libjpeg cannot encode a side longer than 65,535 pixels; keep a margin.
MAX_SIDE = 65_500

DISPLAY_NAME_MAX = 100
DEFAULT_DISPLAY_NAME = "document"


@dataclass(frozen=True)
class UploadRules:
    kinds: tuple[str, ...] = ("image", "pdf")  # allowed: "image" (JPEG/PNG), "pdf"
    max_bytes: int = 10 * 1024 * 1024
    max_pixels: int = 40_000_000  # width*height, checked BEFORE decoding
    max_pdf_pages: int = 20

    def __post_init__(self):
        unknown = set(self.kinds) - set(KINDS)
        if not self.kinds or unknown:
            raise ValueError(f"UploadRules.kinds must be a non-empty subset of {KINDS}, got {self.kinds!r}")
        if self.max_bytes < 1 or self.max_pixels < 1 or self.max_pdf_pages < 1:
            raise ValueError("UploadRules limits must be positive")


@dataclass(frozen=True)
class CleanFile:
    content: bytes  # re-encoded image (JPEG, or PNG if it had transparency) or the original PDF bytes
    content_type: str  # "image/jpeg" | "image/png" | "application/pdf"
    extension: str  # ".jpg" | ".png" | ".pdf"
    original_name: str  # sanitised display name, see safe_display_name()
    sha256: str  # of content
    width: int | None
    height: int | None
    pages: int | None


class UploadRejected(ValidationError):
    """A refused upload: the message is in French and meant for the citizen; ``code`` says why.

    Codes: "type", "size", "empty", "pixels", "corrupt", "pdf_encrypted", "pdf_active", "pdf_pages".
    """

    def __init__(self, message, code, params=None):
        # Same positional order as ValidationError, so pickling (args) round-trips.
        super().__init__(message, code=code, params=params)


# --------------------------------------------------------------------------------------------------------------
# Messages


def _french_list(items):
    items = list(items)
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " ou " + items[-1]


def _french_number(value):
    return f"{value:,}".replace(",", "\u00a0")


def _french_size(n_bytes):
    for unit, factor in (("Go", 1024**3), ("Mo", 1024**2), ("Ko", 1024)):
        if n_bytes >= factor:
            figure = f"{n_bytes / factor:.1f}".rstrip("0").rstrip(".").replace(".", ",")
            return f"{figure} {unit}"
    return f"{n_bytes} octet" + ("s" if n_bytes > 1 else "")


def _type_error(rules):
    labels = [label for kind in rules.kinds for label in _KIND_LABELS[kind]]
    return UploadRejected(
        f"Ce type de fichier n'est pas accepté. Formats acceptés : {_french_list(labels)}.", code="type"
    )


def _pixels_error(limit):
    return UploadRejected(
        f"L'image est trop grande ({_french_number(limit)} pixels au maximum). Réduisez sa résolution.",
        code="pixels",
    )


def _image_corrupt_error():
    return UploadRejected(
        "L'image est illisible ou incomplète. Scannez ou photographiez à nouveau le document.", code="corrupt"
    )


def _pdf_corrupt_error():
    return UploadRejected("Le PDF est illisible ou endommagé.", code="corrupt")


def _pdf_active_error():
    return UploadRejected(
        "Le PDF contient du contenu actif (JavaScript, pièce jointe) : imprimez-le en PDF sans ces éléments.",
        code="pdf_active",
    )


# --------------------------------------------------------------------------------------------------------------
# Entry point


def clean_upload(uploaded_file, rules: UploadRules = UploadRules()) -> CleanFile:
    """Check and clean an uploaded file; return what to store, or raise UploadRejected."""
    data = _read_limited(uploaded_file, rules.max_bytes)
    kind, image_format = _detect(data)
    if kind is None or kind not in rules.kinds:
        raise _type_error(rules)

    if kind == "image":
        content, content_type, extension, width, height = _clean_image(data, image_format, rules)
        pages = None
    else:
        pages = _check_pdf(data, rules)
        content, content_type, extension, width, height = data, "application/pdf", ".pdf", None, None

    return CleanFile(
        content=content,
        content_type=content_type,
        extension=extension,
        original_name=safe_display_name(getattr(uploaded_file, "name", None) or ""),
        sha256=hashlib.sha256(content).hexdigest(),
        width=width,
        height=height,
        pages=pages,
    )


def _read_limited(uploaded_file, max_bytes):
    """Read at most max_bytes + 1 bytes; refuse empty and oversized files."""
    too_big = UploadRejected(f"Le fichier dépasse la taille maximale de {_french_size(max_bytes)}.", code="size")
    declared = getattr(uploaded_file, "size", None)
    if isinstance(declared, int) and declared > max_bytes:
        raise too_big  # Django computes .size itself; no need to read anything

    _rewind(uploaded_file)
    chunks, remaining = [], max_bytes + 1
    while remaining > 0:
        chunk = uploaded_file.read(min(remaining, 1024 * 1024))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    _rewind(uploaded_file)
    data = b"".join(chunks)

    if len(data) > max_bytes:
        raise too_big
    if not data:
        raise UploadRejected("Le fichier est vide.", code="empty")
    return data


def _rewind(file):
    try:
        file.seek(0)
    except (AttributeError, OSError, ValueError):
        pass


def _detect(data):
    """Return (kind, Pillow format) from the magic bytes, or (None, None)."""
    if data.startswith(JPEG_MAGIC):
        return "image", "JPEG"
    if data.startswith(PNG_MAGIC):
        return "image", "PNG"
    if data.find(PDF_MAGIC, 0, PDF_HEADER_WINDOW) != -1:
        return "pdf", None
    return None, None


# --------------------------------------------------------------------------------------------------------------
# Images


def _pixel_limit(rules):
    """Our limit, never above Pillow's own bomb threshold (which would otherwise warn, then raise)."""
    pillow_limit = Image.MAX_IMAGE_PIXELS
    return min(rules.max_pixels, pillow_limit) if pillow_limit else rules.max_pixels


_truncation_lock = threading.Lock()


@contextmanager
def _strict_truncation():
    """Refuse truncated images while decoding: WeasyPrint sets Pillow's global LOAD_TRUNCATED_IMAGES on import."""
    with _truncation_lock:
        saved = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            yield
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = saved


def _clean_image(data, image_format, rules):
    limit = _pixel_limit(rules)
    with warnings.catch_warnings():
        # Pillow warns on odd files (DecompressionBombWarning, corrupt EXIF, palette transparency…): anything it
        # warns about is either refused below or harmless, and must not escape (nor become an error under -W error).
        warnings.simplefilter("ignore")
        try:
            # Reads the header only; formats= stops Pillow from trying its other plugins.
            image = Image.open(io.BytesIO(data), formats=[image_format])
        except Image.DecompressionBombError:
            raise _pixels_error(limit) from None
        except MemoryError:
            raise
        except Exception as exc:  # noqa: BLE001 - untrusted input: any parser failure means "unreadable"
            logger.info("Upload refused: unreadable %s header (%s)", image_format, type(exc).__name__)
            raise _image_corrupt_error() from None

        with image:
            width, height = image.size
            if width < 1 or height < 1:
                raise _image_corrupt_error()
            if width * height > limit or max(width, height) > MAX_SIDE:
                raise _pixels_error(limit)
            try:
                with _strict_truncation():
                    image.load()
            except Image.DecompressionBombError:
                raise _pixels_error(limit) from None
            except MemoryError:
                raise
            except Exception as exc:  # noqa: BLE001 - truncated, bad CRC, bad zlib stream, bad Huffman table…
                logger.info("Upload refused: undecodable %s (%s)", image_format, type(exc).__name__)
                raise _image_corrupt_error() from None
            try:
                ImageOps.exif_transpose(image, in_place=True)
            except Exception as exc:  # noqa: BLE001 - a broken EXIF orientation is not worth refusing the scan
                logger.info("Upload: EXIF orientation ignored (%s)", type(exc).__name__)
            clean, output_format = _strip_to_pixels(image)
            width, height = clean.size
            buffer = io.BytesIO()
            try:
                if output_format == "PNG":
                    clean.save(buffer, format="PNG")
                else:
                    clean.save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True)
            finally:
                if clean is not image:
                    clean.close()

    if output_format == "PNG":
        return buffer.getvalue(), "image/png", ".png", width, height
    return buffer.getvalue(), "image/jpeg", ".jpg", width, height


def _strip_to_pixels(image):
    """Return (an image holding only pixels, "JPEG" or "PNG"), in a mode that format can store.

    Works on our own decoded image: it may be returned itself, with its info (metadata) emptied.

    PNG only when the image really has transparency (an alpha channel that is not fully opaque, or a tRNS colour
    that is used); everything else becomes a JPEG (L for grey sources, RGB otherwise: CMYK, P, YCbCr…).
    """
    mode = image.mode
    if mode.startswith("I") or mode == "F":  # 16-bit / 32-bit grey (e.g. a 16-bit PNG scan): scale to 8 bits
        source = image if mode in ("I", "F") else image.convert("I")
        image = source.point(lambda value: value * (1 / 256)).convert("L")
        image.info = {}  # a 16-bit tRNS grey level means nothing once scaled
        mode = "L"

    if mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        if mode not in ("RGBA", "LA"):
            image = image.convert("RGBA")  # applies a palette / tRNS transparency
            mode = "RGBA"
        lowest_alpha, _ = image.getchannel("A").getextrema()
        if lowest_alpha < 255:
            image.info = {}  # drops icc_profile, exif, xmp, text chunks, dpi… that PNG save would copy
            return image, "PNG"

    target = "L" if mode in ("1", "L", "LA", "La") else "RGB"
    if mode != target:
        image = image.convert(target)
    image.info = {}  # JPEG save copies the comment from info
    return image, "JPEG"


# --------------------------------------------------------------------------------------------------------------
# PDFs

def _check_pdf(data, rules):
    """Return the page count, or raise UploadRejected."""
    with pdf_checks.quiet_pypdf():
        try:
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                raise UploadRejected(
                    "Le PDF est protégé par un mot de passe : enregistrez-le sans protection.", code="pdf_encrypted"
                )
            pages = len(reader.pages)
            if pages < 1:
                raise UploadRejected("Le PDF ne contient aucune page.", code="pdf_pages")
            if pages > rules.max_pdf_pages:
                maximum = rules.max_pdf_pages
                raise UploadRejected(
                    f"Le PDF compte {pages} pages : {maximum} page{'s' if maximum > 1 else ''} au maximum. "
                    "Envoyez uniquement les pages utiles.",
                    code="pdf_pages",
                )
            pdf_checks.scan_for_active_content(reader)
        except UploadRejected:
            raise
        except pdf_checks.ActiveContent as exc:
            logger.info("Upload refused: active PDF content %r", str(exc))
            raise _pdf_active_error() from None
        except MemoryError:
            raise
        except Exception as exc:  # noqa: BLE001 - untrusted input: any parser failure (incl. recursion) = unreadable
            logger.info("Upload refused: unreadable PDF (%s)", type(exc).__name__)
            raise _pdf_corrupt_error() from None

    if pdf_checks.RAW_ACTIVE.search(data):
        logger.info("Upload refused: active PDF content name in the raw bytes")
        raise _pdf_active_error()
    return pages


# --------------------------------------------------------------------------------------------------------------
# Names


_EXTENSION = re.compile(r"\.[^.\s]{1,10}$")


def safe_display_name(name: str) -> str:
    """Return a harmless name to show or to put in Content-Disposition; never use it to store the file.

    Keeps only the last path component (``/`` and ``\\``), removes NUL, control and invisible format characters
    (bidi overrides…), turns any whitespace into single spaces, strips leading dots and trailing dots/spaces,
    keeps accents (NFC), and limits the length to 100 characters while keeping the extension.
    Falls back to "document".
    """
    name = unicodedata.normalize("NFC", str(name or ""))
    name = re.split(r"[/\\]", name)[-1]
    characters = []
    for character in name:
        if character.isspace() or unicodedata.category(character) in ("Zl", "Zp"):
            characters.append(" ")
        elif unicodedata.category(character) not in ("Cc", "Cf", "Cs"):
            characters.append(character)
    name = " ".join("".join(characters).split())
    name = name.lstrip(". ").rstrip(". ")
    if not name:
        return DEFAULT_DISPLAY_NAME
    if len(name) > DISPLAY_NAME_MAX:
        match = _EXTENSION.search(name)
        extension = match.group(0) if match and match.start() > 0 else ""
        stem = name[: len(name) - len(extension)]
        name = stem[: DISPLAY_NAME_MAX - len(extension)].rstrip(". ") + extension
    return name


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """Content-Disposition value (RFC 6266) for the safe form of ``filename`` (:func:`safe_display_name`), built by
    Django: ``filename="…"`` for a plain ASCII name, else ``filename*=utf-8''…`` (RFC 8187).

    ``content_disposition("Facture été.pdf")`` gives ``attachment; filename*=utf-8''Facture%20%C3%A9t%C3%A9.pdf``.
    """
    return content_disposition_header(not inline, safe_display_name(filename))


# The extension a stored file is served with, from the type its content was found to be (see _detect).
_SERVED_EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}


def download_name(display_name: str, content_type: str) -> str:
    """Return the name a stored file is downloaded under: the display name with the extension of its real type.

    The name the citizen gave is only a label: ``photo\u202egpj.exe`` (shown as "photoexe.jpg") holding a JPEG
    is served as ``photogpj.jpg``, never with an extension that a desktop would run or open with another program.
    A type we do not know gets no extension at all.
    """
    name = safe_display_name(display_name)
    match = _EXTENSION.search(name)
    stem = name[: match.start()] if match and match.start() > 0 else name
    return stem + _SERVED_EXTENSIONS.get(content_type, "")


def file_response(field_file, display_name, content_type):
    """Serve a stored file to someone allowed to see it: download only, safe name with the extension of its real
    type, never cached or sniffed."""
    response = FileResponse(field_file.open("rb"), content_type=content_type)
    response["Content-Disposition"] = content_disposition(download_name(display_name, content_type))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
