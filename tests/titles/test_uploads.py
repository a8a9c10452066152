"""titles.uploads: type detection, limits, image re-encoding without metadata, PDF checks, display names.

Pure unit tests: every input is built in memory (Pillow, pypdf, raw bytes); no database.
"""

import functools
import hashlib
import io
import logging
import pickle
import re
import struct
import time
import warnings
import zlib

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageCms
from PIL.PngImagePlugin import PngInfo
from pypdf import PdfReader, PdfWriter
from pypdf.actions import JavaScript, PageTrigger
from pypdf.annotations import Link
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

from titles.uploads import (
    CleanFile,
    UploadRejected,
    UploadRules,
    clean_upload,
    content_disposition,
    safe_display_name,
)

MB = 1024 * 1024
SECRETS = (b"SPY-MAKE", b"SECRET-GPS-DATUM", b"SECRET-COMMENT", b"SECRET-ICC", b"SECRET-XMP")


# --------------------------------------------------------------------------------------------------------------
# Builders


def upload(content, name="document"):
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def image_bytes(mode="RGB", size=(40, 30), color="red", fmt="JPEG", **save_options):
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, fmt, **save_options)
    return buffer.getvalue()


def spy_exif(orientation=1):
    exif = Image.Exif()
    exif[0x010F] = "SPY-MAKE"  # Make
    exif[0x0112] = orientation  # Orientation
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0), 0x12: "SECRET-GPS-DATUM"}
    return exif


def jpeg_with_metadata(size=(40, 30), orientation=1):
    return image_bytes(
        size=size,
        exif=spy_exif(orientation),
        comment=b"SECRET-COMMENT",
        icc_profile=b"SECRET-ICC" * 20,
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/">SECRET-XMP</x:xmpmeta>',
    )


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@functools.cache
def png_bomb(width, height):
    """A real, complete 1-bit PNG of width×height white pixels: tiny on disk, huge once decoded."""
    compressor = zlib.compressobj(9)
    row = b"\x00" + b"\xff" * ((width + 7) // 8)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def jpeg_claiming(width, height):
    """A JPEG whose SOF0 header claims width×height (the rest is a tiny real image)."""
    data = bytearray(image_bytes(size=(8, 8)))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def pdf_bytes(pages=1, prepare=None):
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if prepare:
        prepare(writer)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def raw_pdf(*objects, trailer=b"/Root 1 0 R"):
    """A hand-written PDF with a correct xref: objects[0] is object 1 (the catalog)."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d %s >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, trailer, xref)
    return bytes(out)


PAGES = (b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>")


def raw_pdf_with_catalog(extra, *more_objects, page_extra=b""):
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] %s >>" % page_extra
    return raw_pdf(b"<< /Type /Catalog /Pages 2 0 R %s >>" % extra, PAGES[0], page, *more_objects)


def set_open_action(action):
    def prepare(writer):
        writer._root_object[NameObject("/OpenAction")] = writer._add_object(DictionaryObject(action))

    return prepare


def launch_action():
    return {NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("cmd.exe")}


def add_page_annotation(annotation):
    def prepare(writer):
        writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(DictionaryObject(annotation))])

    return prepare


def encrypt(**options):
    return lambda writer: writer.encrypt(**options)


class EndlessStream:
    """A file-like object that never ends and lies about its size: counts what was read."""

    name = "flux.jpg"
    size = 10

    def __init__(self):
        self.read_bytes = 0

    def read(self, n=-1):
        n = 64 * 1024 if n is None or n < 0 else n
        self.read_bytes += n
        return b"\xff\xd8\xff" + b"\x00" * (n - 3) if self.read_bytes == n else b"\x00" * n

    def seek(self, offset):
        pass


def rejected(content, name="document", rules=None):
    with pytest.raises(UploadRejected) as caught:
        clean_upload(upload(content, name), rules or UploadRules())
    return caught.value


# --------------------------------------------------------------------------------------------------------------
# Accepted images


def test_jpeg_with_exif_and_gps_comes_out_without_any_metadata():
    original = jpeg_with_metadata()
    assert all(secret in original for secret in SECRETS)  # the input really carries them

    result = clean_upload(upload(original, "IMG_2024.JPG"))

    assert isinstance(result, CleanFile)
    assert (result.content_type, result.extension) == ("image/jpeg", ".jpg")
    assert (result.width, result.height, result.pages) == (40, 30, None)
    assert result.original_name == "IMG_2024.JPG"
    for secret in SECRETS:
        assert secret not in result.content
    assert b"Exif" not in result.content and b"ICC_PROFILE" not in result.content
    reparsed = Image.open(io.BytesIO(result.content))
    assert reparsed.format == "JPEG" and reparsed.mode == "RGB"
    assert not reparsed.getexif()
    assert not reparsed.getexif().get_ifd(0x8825)
    assert not {"exif", "xmp", "icc_profile", "comment"} & set(reparsed.info)
    assert result.sha256 == hashlib.sha256(result.content).hexdigest()


def test_exif_orientation_is_applied_then_dropped():
    result = clean_upload(upload(jpeg_with_metadata(size=(40, 20), orientation=6)))  # "rotate 90° clockwise"
    assert (result.width, result.height) == (20, 40)
    assert not Image.open(io.BytesIO(result.content)).getexif()


def test_png_with_transparency_stays_png_without_text_chunks():
    info = PngInfo()
    info.add_text("Comment", "SECRET-COMMENT")
    info.add_itxt("XML:com.adobe.xmp", "SECRET-XMP")
    original = image_bytes(
        "RGBA",
        (20, 10),
        (255, 0, 0, 128),
        "PNG",
        pnginfo=info,
        exif=spy_exif(),
        icc_profile=ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes(),
    )
    assert b"SECRET-COMMENT" in original and b"iCCP" in original

    result = clean_upload(upload(original, "signature.png"))

    assert (result.content_type, result.extension) == ("image/png", ".png")
    reparsed = Image.open(io.BytesIO(result.content))
    assert reparsed.mode == "RGBA" and reparsed.getpixel((0, 0)) == (255, 0, 0, 128)
    for chunk in (b"tEXt", b"iTXt", b"zTXt", b"eXIf", b"iCCP", b"pHYs"):
        assert chunk not in result.content
    assert b"SECRET" not in result.content and not reparsed.getexif()


def test_opaque_rgba_png_becomes_jpeg():
    result = clean_upload(upload(image_bytes("RGBA", (20, 10), (0, 0, 255, 255), "PNG")))
    assert result.content_type == "image/jpeg"


def test_palette_png_with_transparent_colour_stays_png():
    image = Image.new("P", (10, 10), 0)
    image.putpalette([255, 255, 255, 0, 0, 0])
    image.putpixel((5, 5), 1)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", transparency=0)
    result = clean_upload(upload(buffer.getvalue()))
    reparsed = Image.open(io.BytesIO(result.content))
    assert result.content_type == "image/png" and reparsed.mode == "RGBA"
    assert reparsed.getpixel((0, 0))[3] == 0 and reparsed.getpixel((5, 5)) == (0, 0, 0, 255)


def test_cmyk_jpeg_becomes_rgb_jpeg():
    original = image_bytes("CMYK", (30, 20), (0, 255, 255, 0))  # pure magenta+yellow = red
    assert Image.open(io.BytesIO(original)).mode == "CMYK"
    result = clean_upload(upload(original))
    reparsed = Image.open(io.BytesIO(result.content))
    assert result.content_type == "image/jpeg" and reparsed.mode == "RGB"
    red, green, blue = reparsed.getpixel((10, 10))
    assert red > 200 and green < 60 and blue < 60


@pytest.mark.parametrize(
    ("mode", "color", "fmt", "expected_mode"),
    [
        ("L", 128, "JPEG", "L"),
        ("L", 128, "PNG", "L"),
        ("1", 1, "PNG", "L"),
        ("P", 3, "PNG", "RGB"),
        ("LA", (100, 255), "PNG", "L"),
        ("I;16", 40000, "PNG", "L"),
    ],
)
def test_other_modes_become_a_plain_jpeg(mode, color, fmt, expected_mode):
    result = clean_upload(upload(image_bytes(mode, (16, 16), color, fmt)))
    reparsed = Image.open(io.BytesIO(result.content))
    assert result.content_type == "image/jpeg" and reparsed.mode == expected_mode
    if mode == "I;16":
        assert 140 < reparsed.getpixel((8, 8)) < 170  # scaled from 16 bits, not clipped to white


def test_extension_and_browser_type_are_ignored():
    """A real PNG named .pdf and sent as application/pdf is still handled as an image."""
    png = image_bytes("RGBA", (4, 4), (0, 0, 0, 0), "PNG")
    result = clean_upload(SimpleUploadedFile("scan.pdf", png, content_type="application/pdf"))
    assert result.content_type == "image/png" and result.original_name == "scan.pdf"


# --------------------------------------------------------------------------------------------------------------
# Accepted PDFs


def test_pdf_is_kept_byte_for_byte():
    original = pdf_bytes(pages=3)
    result = clean_upload(upload(original, "facture edf.pdf"))
    assert result.content == original
    assert (result.content_type, result.extension, result.pages) == ("application/pdf", ".pdf", 3)
    assert (result.width, result.height, result.original_name) == (None, None, "facture edf.pdf")


@pytest.mark.parametrize(
    "original",
    [
        pytest.param(pdf_bytes(pages=20), id="exactly max pages"),
        pytest.param(b"\xef\xbb\xbf  \n" + pdf_bytes(), id="junk before the header"),
        pytest.param(pdf_bytes(prepare=lambda w: setattr(w, "open_destination", w.pages[0])), id="open at page 1"),
        pytest.param(
            pdf_bytes(prepare=lambda w: w.add_annotation(0, Link(rect=(50, 50, 200, 80), url="https://www.edf.fr"))),
            id="web link",
        ),
        pytest.param(raw_pdf_with_catalog(b""), id="hand-written"),
        pytest.param(raw_pdf_with_catalog(b"/OpenAction << /S /Named /N /FitPage >>"), id="named open action"),
    ],
)
def test_harmless_pdfs_are_accepted(original):
    assert clean_upload(upload(original)).content == original


# --------------------------------------------------------------------------------------------------------------
# Refusals


HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 48 + b"This program cannot be run in DOS mode."
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="10" height="10"/></svg>'

HOSTILE = [
    # Wrong type behind a good name.
    pytest.param("photo.jpg", EXE, UploadRules(), "type", id="exe named .jpg"),
    pytest.param("photo.jpg", HTML, UploadRules(), "type", id="html named .jpg"),
    pytest.param("facture.pdf", HTML, UploadRules(), "type", id="html named .pdf"),
    pytest.param("facture.pdf", EXE, UploadRules(), "type", id="exe named .pdf"),
    pytest.param("logo.png", SVG, UploadRules(), "type", id="svg with script named .png"),
    pytest.param("photo.png", image_bytes(fmt="GIF"), UploadRules(), "type", id="gif named .png"),
    pytest.param("photo.jpg", image_bytes(fmt="BMP"), UploadRules(), "type", id="bmp"),
    pytest.param("photo.jpg", image_bytes(fmt="TIFF"), UploadRules(), "type", id="tiff"),
    pytest.param("photo.jpg", image_bytes(fmt="WEBP"), UploadRules(), "type", id="webp"),
    pytest.param("dossier.pdf", b"PK\x03\x04" + b"\x00" * 40, UploadRules(), "type", id="zip named .pdf"),
    pytest.param("a.pdf", b" " * 1024 + b"%PDF-1.7\n", UploadRules(), "type", id="pdf header after 1024 bytes"),
    pytest.param("a.pdf", b"%PDF without dash", UploadRules(), "type", id="not quite a pdf header"),
    pytest.param("a.pdf", pdf_bytes(), UploadRules(kinds=("image",)), "type", id="pdf when only images"),
    pytest.param("a.jpg", image_bytes(), UploadRules(kinds=("pdf",)), "type", id="jpeg when only pdf"),
    # Size.
    pytest.param("vide.pdf", b"", UploadRules(), "empty", id="empty"),
    pytest.param("gros.pdf", b"%PDF-" + b"0" * 2000, UploadRules(max_bytes=1000), "size", id="too big"),
    # Broken images.
    pytest.param("a.jpg", image_bytes(size=(200, 200))[:400], UploadRules(), "corrupt", id="truncated jpeg"),
    pytest.param("a.png", image_bytes(size=(200, 200), fmt="PNG")[:-40], UploadRules(), "corrupt", id="truncated png"),
    pytest.param("a.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 100, UploadRules(), "corrupt", id="jpeg magic only"),
    pytest.param("a.png", b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, UploadRules(), "corrupt", id="png magic only"),
    pytest.param(
        "a.png",
        image_bytes(fmt="PNG").replace(b"IDAT", b"IDAT\x00\x00", 1),
        UploadRules(),
        "corrupt",
        id="png bad crc",
    ),
    # Too many pixels, refused from the header.
    pytest.param("a.png", png_bomb(10_000, 5_000), UploadRules(), "pixels", id="50 Mpx png over our limit"),
    pytest.param("a.jpg", jpeg_claiming(65_000, 65_000), UploadRules(), "pixels", id="jpeg claiming 4 Gpx"),
    pytest.param("a.jpg", image_bytes(size=(20, 20)), UploadRules(max_pixels=100), "pixels", id="custom limit"),
    pytest.param("a.png", png_bomb(70_000, 1), UploadRules(), "pixels", id="side longer than jpeg allows"),
    # Broken PDFs.
    pytest.param("a.pdf", b"%PDF-1.7\n" + b"\x00garbage" * 50, UploadRules(), "corrupt", id="pdf garbage"),
    pytest.param("a.pdf", pdf_bytes()[:60], UploadRules(), "corrupt", id="truncated pdf"),
    pytest.param("a.pdf", HTML + b"\n%PDF-1.4\n<< >>", UploadRules(), "corrupt", id="html pdf polyglot"),
    # Encrypted PDFs.
    pytest.param(
        "a.pdf",
        pdf_bytes(prepare=encrypt(user_password="secret", algorithm="AES-256")),
        UploadRules(),
        "pdf_encrypted",
        id="aes password",
    ),
    pytest.param(
        "a.pdf",
        pdf_bytes(prepare=encrypt(user_password="", owner_password="x", algorithm="RC4-128")),
        UploadRules(),
        "pdf_encrypted",
        id="owner password only",
    ),
    # Active PDF content.
    pytest.param(
        "a.pdf",
        pdf_bytes(prepare=lambda w: w.add_open_action(JavaScript("app.alert('x');"))),
        UploadRules(),
        "pdf_active",
        id="document javascript",
    ),
    pytest.param(
        "a.pdf",
        pdf_bytes(prepare=lambda w: w.pages[0].add_action(PageTrigger.OPEN, JavaScript("1"))),
        UploadRules(),
        "pdf_active",
        id="page javascript",
    ),
    pytest.param(
        "a.pdf",
        pdf_bytes(prepare=lambda w: w.add_attachment("virus.exe", b"MZ")),
        UploadRules(),
        "pdf_active",
        id="embedded file",
    ),
    pytest.param(
        "a.pdf",
        pdf_bytes(prepare=set_open_action(launch_action())),
        UploadRules(),
        "pdf_active",
        id="open action launch",
    ),
    pytest.param(
        "a.pdf",
        raw_pdf_with_catalog(b"/OpenAction << /S /URI /URI (https://evil.example) >>"),
        UploadRules(),
        "pdf_active",
        id="open action uri",
    ),
    pytest.param(
        "a.pdf",
        raw_pdf_with_catalog(b"/OpenAction 4 0 R", b"<< /S /J#61vaScript /J#53 (app.alert(1)) >>"),
        UploadRules(),
        "pdf_active",
        id="hex-escaped javascript",
    ),
    pytest.param(
        "a.pdf",
        raw_pdf_with_catalog(
            b"/OpenAction << /S /GoTo /D [3 0 R /Fit] /Next << /S /JavaScript /JS 4 0 R >> >>", b"(app.alert(1))"
        ),
        UploadRules(),
        "pdf_active",
        id="javascript chained after goto",
    ),
    pytest.param(
        "a.pdf",
        raw_pdf_with_catalog(b"", page_extra=b"/AA << /O << /S /URI /URI (https://x.example) >> >>"),
        UploadRules(),
        "pdf_active",
        id="page open action",
    ),
    pytest.param(
        "a.pdf",
        pdf_bytes(
            prepare=add_page_annotation(
                {
                    NameObject("/Type"): NameObject("/Annot"),
                    NameObject("/Subtype"): NameObject("/Link"),
                    NameObject("/Rect"): ArrayObject(),
                    NameObject("/A"): DictionaryObject(launch_action()),
                }
            )
        ),
        UploadRules(),
        "pdf_active",
        id="link that launches",
    ),
    pytest.param(
        "a.pdf",
        raw_pdf_with_catalog(b"/AcroForm << /Fields [] /XFA 4 0 R >>", b"<< /Length 0 >>\nstream\n\nendstream"),
        UploadRules(),
        "pdf_active",
        id="xfa form",
    ),
    # Page count.
    pytest.param("a.pdf", pdf_bytes(pages=21), UploadRules(), "pdf_pages", id="21 pages"),
    pytest.param("a.pdf", pdf_bytes(pages=0), UploadRules(), "pdf_pages", id="no page"),
    pytest.param("a.pdf", pdf_bytes(pages=3), UploadRules(max_pdf_pages=2), "pdf_pages", id="custom page limit"),
]


@pytest.mark.parametrize(("name", "content", "rules", "code"), HOSTILE)
def test_hostile_files_are_refused_with_a_french_message(name, content, rules, code):
    error = rejected(content, name, rules)
    assert isinstance(error, ValidationError)
    assert error.code == code
    assert error.message and error.message[0].isupper() and error.message.endswith(".")


def test_there_are_enough_hostile_cases():
    assert len(HOSTILE) >= 25


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        (UploadRules(), "Ce type de fichier n'est pas accepté. Formats acceptés : JPEG, PNG ou PDF."),
        (UploadRules(kinds=("image",)), "Ce type de fichier n'est pas accepté. Formats acceptés : JPEG ou PNG."),
        (UploadRules(kinds=("pdf",)), "Ce type de fichier n'est pas accepté. Formats acceptés : PDF."),
    ],
)
def test_type_message_lists_only_the_allowed_formats(rules, message):
    assert rejected(HTML, "page.pdf", rules).message == message


@pytest.mark.parametrize(
    ("max_bytes", "figure"), [(10 * MB, "10 Mo"), (5 * MB // 2, "2,5 Mo"), (500 * 1024, "500 Ko"), (10, "10 octets")]
)
def test_size_message_gives_the_limit(max_bytes, figure):
    error = rejected(b"%PDF-" + b"0" * max_bytes, rules=UploadRules(max_bytes=max_bytes))
    assert error.message == f"Le fichier dépasse la taille maximale de {figure}."


def test_size_is_measured_by_reading_at_most_max_bytes_plus_one():
    stream = EndlessStream()  # claims 10 bytes, never ends
    with pytest.raises(UploadRejected) as caught:
        clean_upload(stream, UploadRules(max_bytes=1000))
    assert caught.value.code == "size"
    assert stream.read_bytes == 1001


def test_exact_messages():
    assert rejected(b"").message == "Le fichier est vide."
    assert rejected(image_bytes(size=(200, 200))[:400]).message == (
        "L'image est illisible ou incomplète. Scannez ou photographiez à nouveau le document."
    )
    assert rejected(b"%PDF-1.7 broken").message == "Le PDF est illisible ou endommagé."
    assert rejected(pdf_bytes(prepare=encrypt(user_password="s", algorithm="AES-256"))).message == (
        "Le PDF est protégé par un mot de passe : enregistrez-le sans protection."
    )
    assert rejected(pdf_bytes(prepare=lambda w: w.add_open_action(JavaScript("1")))).message == (
        "Le PDF contient du contenu actif (JavaScript, pièce jointe) : imprimez-le en PDF sans ces éléments."
    )
    assert rejected(pdf_bytes(pages=21)).message == (
        "Le PDF compte 21 pages : 20 pages au maximum. Envoyez uniquement les pages utiles."
    )
    assert rejected(png_bomb(10_000, 5_000)).message == (
        "L'image est trop grande (40\u00a0000\u00a0000 pixels au maximum). Réduisez sa résolution."
    )


# --------------------------------------------------------------------------------------------------------------
# Decompression bombs


def test_30000_by_30000_png_is_refused_fast_without_decoding():
    bomb = png_bomb(30_000, 30_000)  # 900 Mpx: ~110 KB on disk, ~112 MB as 1-bit, 900 MB+ once converted
    assert len(bomb) < 200_000

    started = time.perf_counter()
    error = rejected(bomb, "scan.png")
    elapsed = time.perf_counter() - started

    assert error.code == "pixels"
    assert elapsed < 2, f"took {elapsed:.3f} s: was the image decoded?"


def test_our_pixel_check_holds_when_pillow_bomb_check_is_disabled(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)
    assert rejected(png_bomb(30_000, 30_000)).code == "pixels"


def test_pillow_threshold_caps_a_generous_rule_without_leaking_its_warning():
    """10000×10000 is over Pillow's warning threshold (~89 Mpx) but under its error threshold."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        error = rejected(png_bomb(10_000, 10_000), rules=UploadRules(max_pixels=500_000_000))
    assert error.code == "pixels"
    assert caught == []


def test_no_warning_and_no_pypdf_log_escapes(caplog):
    damaged_pdf = pdf_bytes(pages=2).replace(b"startxref", b"startxref\n999999\n%", 1)  # wrong xref offset
    caplog.set_level(logging.DEBUG)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert clean_upload(upload(damaged_pdf)).pages == 2  # pypdf repairs it, and says so in its log…
        for content in (png_bomb(30_000, 30_000), b"%PDF-1.7\n1 0 obj << /Type /Catalog", HTML):
            with pytest.raises(UploadRejected):
                clean_upload(upload(content))
    assert caught == []
    assert not [record for record in caplog.records if record.name.startswith("pypdf")]  # …but not during ours
    assert logging.getLogger("pypdf").level == logging.NOTSET  # restored

    PdfReader(io.BytesIO(damaged_pdf), strict=False).pages  # noqa: B018 - proves the file does make pypdf log
    assert [record for record in caplog.records if record.name.startswith("pypdf")]


# --------------------------------------------------------------------------------------------------------------
# In a Django form, and as an exception


class ProofForm(forms.Form):
    proof = forms.FileField()

    def clean_proof(self):
        return clean_upload(self.cleaned_data["proof"])


def test_a_form_shows_the_refusal_on_the_field():
    form = ProofForm(data={}, files={"proof": upload(EXE, "photo.jpg")})
    assert not form.is_valid()
    (error,) = form.errors.as_data()["proof"]
    assert error.code == "type" and "Formats acceptés" in error.message
    assert form.errors["proof"] == ["Ce type de fichier n'est pas accepté. Formats acceptés : JPEG, PNG ou PDF."]


def test_a_form_gets_the_clean_file():
    form = ProofForm(data={}, files={"proof": upload(jpeg_with_metadata(), "photo.jpg")})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["proof"].content_type == "image/jpeg"


def test_upload_rejected_pickles():
    error = pickle.loads(pickle.dumps(UploadRejected("Le fichier est vide.", code="empty")))
    assert (error.message, error.code) == ("Le fichier est vide.", "empty")


def test_unknown_kind_in_rules_is_a_programming_error():
    with pytest.raises(ValueError):
        UploadRules(kinds=("image", "exe"))


# --------------------------------------------------------------------------------------------------------------
# Display names


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("facture edf.pdf", "facture edf.pdf"),
        ("Facture été.pdf", "Facture été.pdf"),
        ("Facture e\u0301te\u0301.pdf", "Facture été.pdf"),  # macOS sends NFD
        ("../../etc/passwd", "passwd"),
        ("/etc/passwd", "passwd"),
        ("C:\\Users\\x\\photo.jpg", "photo.jpg"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("dossier/sous-dossier/", "document"),
        ("photo.jpg\x00.exe", "photo.jpg.exe"),
        ("\x00\x01\x02", "document"),
        ("", "document"),
        (None, "document"),
        ("...", "document"),
        (".htaccess", "htaccess"),
        ("..\u202egpj.exe", "gpj.exe"),  # right-to-left override removed
        ("facture\u202egpj.exe", "facturegpj.exe"),
        ("facture\r\nSet-Cookie: a=b", "facture Set-Cookie: a=b"),
        ("  relevé\t\tde   compte .pdf  ", "relevé de compte .pdf"),
        ("ligne\u2028suivante.pdf", "ligne suivante.pdf"),
        ("contrôle technique.", "contrôle technique"),
        ("\udcff.pdf", "pdf"),  # lone surrogate (undecodable byte)
        ("請求書 2024.pdf", "請求書 2024.pdf"),
    ],
)
def test_safe_display_name(name, expected):
    assert safe_display_name(name) == expected


@pytest.mark.parametrize(
    ("name", "ending"),
    [
        ("a" * 300 + ".pdf", "a.pdf"),
        ("é" * 300 + ".jpeg", "é.jpeg"),
        ("x" * 300, "x"),
        ("y" * 300 + ".notanextension", "y"),
    ],
)
def test_long_names_are_cut_to_100_characters_keeping_the_extension(name, ending):
    result = safe_display_name(name)
    assert len(result) == 100 and result.endswith(ending)


def test_content_disposition_example():
    assert content_disposition("Facture été.pdf") == "attachment; filename*=utf-8''Facture%20%C3%A9t%C3%A9.pdf"


@pytest.mark.parametrize(
    ("name", "inline", "expected"),
    [
        ("scan.pdf", True, 'inline; filename="scan.pdf"'),
        ('rapport "final".pdf', False, 'attachment; filename="rapport \\"final\\".pdf"'),
        ("../../etc/passwd", False, 'attachment; filename="passwd"'),
        ("請求書.pdf", False, "attachment; filename*=utf-8''%E8%AB%8B%E6%B1%82%E6%9B%B8.pdf"),
        ("Lettre d’Œuvre.pdf", False, "attachment; filename*=utf-8''Lettre%20d%E2%80%99%C5%92uvre.pdf"),
        ("a;b=c.pdf", False, 'attachment; filename="a;b=c.pdf"'),
    ],
)
def test_content_disposition(name, inline, expected):
    assert content_disposition(name, inline=inline) == expected


def test_content_disposition_cannot_inject_headers():
    header = content_disposition('x"\r\nSet-Cookie: session=1\r\n\r\n<script>.pdf')
    assert "\r" not in header and "\n" not in header
    # One quoted string, its inner quote escaped: the name cannot end it early and add a parameter.
    assert re.fullmatch(r'attachment; filename="(?:[^"\\]|\\.)*"', header)
    assert all(32 <= ord(character) < 127 for character in header)


def test_pdf_reader_still_reads_what_we_accept():
    """Sanity: the hand-written PDFs used above are valid for pypdf."""
    assert len(PdfReader(io.BytesIO(raw_pdf_with_catalog(b""))).pages) == 1


def test_truncated_image_refused_even_after_weasyprint_is_imported():
    """WeasyPrint sets Pillow's global LOAD_TRUNCATED_IMAGES=True on import; uploads must stay strict."""
    import weasyprint  # noqa: F401
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES is True
    buffer = io.BytesIO()
    Image.new("RGB", (200, 200), "red").save(buffer, "JPEG")
    with pytest.raises(UploadRejected) as error:
        clean_upload(SimpleUploadedFile("coupee.jpg", buffer.getvalue()[: len(buffer.getvalue()) // 2]))
    assert error.value.code == "corrupt"
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True
