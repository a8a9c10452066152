"""The PDF rendering layer: templates rendered with WeasyPrint, read back with pypdf. No database."""

import base64
import datetime
import io
import logging
import re
import shutil
import subprocess

import pytest
import zxingcpp
from django.utils import translation
from PIL import Image
from pypdf import PdfReader

from core.qrcode import qr_matrix
from tests.qr_support import decode
from titles.pdf import PdfRenderError, qr_data_uri, render_html, render_pdf, template_version

VERIFY_URL = "https://demarches.example/verifier/K7QF-3XPA"


def recepisse_context(**overrides):
    context = {
        "document_title": "Récépissé de dépôt",
        "verification_code": "K7QF-3XPA",
        "verify_url": VERIFY_URL,
        "issued_at": datetime.datetime(2026, 11, 27, 13, 5, tzinfo=datetime.UTC),
        "valid_until": None,
        "reference": "VH-2026-000123",
        "procedure_label": "Déclaration de cession d'un véhicule",
        "applicant_name": "Angela Claire Louise DUBOIS",
        "filed_by": "Garage Hélène Châtelet",
        "submitted_at": datetime.datetime(2026, 11, 27, 13, 5, tzinfo=datetime.UTC),
        "cert_name": "CERT de Nîmes",
        "expected_decision_date": datetime.date(2026, 12, 1),
        "lines": [("Immatriculation", "AB-123-CD"), ("Acquéreur", "Hélène Châtelet")],
    }
    context.update(overrides)
    return context


def text_of(reader):
    """The extracted text of every page, whitespace collapsed (WeasyPrint breaks long lines anywhere)."""
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def use_templates(settings, templates):
    """Add in-memory templates in front of the project's templates/ directory."""
    settings.TEMPLATES = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": settings.TEMPLATES[0]["DIRS"],
            "OPTIONS": {
                "loaders": [
                    ("django.template.loaders.locmem.Loader", templates),
                    "django.template.loaders.filesystem.Loader",
                ],
            },
        }
    ]


@pytest.fixture(scope="module")
def recepisse_pdf():
    return render_pdf("pdf/recepisse.html", recepisse_context())


@pytest.fixture(scope="module")
def recepisse(recepisse_pdf):
    return PdfReader(io.BytesIO(recepisse_pdf))


def test_recepisse_is_a_one_page_pdf(recepisse_pdf, recepisse):
    assert recepisse_pdf.startswith(b"%PDF-")
    assert len(recepisse.pages) == 1
    width, height = (float(v) for v in recepisse.pages[0].mediabox.upper_right)
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (210, 297)  # A4


def test_recepisse_text(recepisse):
    text = text_of(recepisse)
    for expected in [
        "Récépissé de dépôt",
        "VH-2026-000123",
        "Déclaration de cession d'un véhicule",
        "Angela Claire Louise DUBOIS",
        "Déposé par Garage Hélène Châtelet pour le compte d'Angela Claire Louise DUBOIS",
        "Instruit par le CERT de Nîmes",
        "Acquéreur Hélène Châtelet",
        "Ce récépissé atteste le dépôt de votre demande. Il ne vaut pas titre.",
        "K7QF-3XPA",
        "Portail des démarches en ligne",
        # 13:05 UTC is 14:05 in Paris; the first of the month is "1er".
        "27 novembre 2026 à 14 h 05",
        "1er décembre 2026",
    ]:
        assert expected in text
    assert "Vérifiez l'authenticité de ce document sur" in text
    assert VERIFY_URL in text.replace(" ", "")


def test_recepisse_metadata(recepisse):
    metadata = recepisse.metadata
    assert metadata["/Title"] == "Récépissé de dépôt"
    assert metadata["/templateversion"] == "2"
    assert metadata["/CreationDate"] == "D:20261127140500+01'00"  # the issue date, not the render time
    assert recepisse.trailer["/Root"]["/Lang"] == "fr"


def test_recepisse_embeds_marianne(recepisse):
    fonts = recepisse.pages[0]["/Resources"]["/Font"].values()
    names = {font.get_object()["/BaseFont"].split("+")[-1] for font in fonts}
    assert names == {"Marianne", "Marianne-Bold"}


def _figures(node):
    node = node.get_object()
    if isinstance(node, list):
        for child in node:
            yield from _figures(child)
    elif hasattr(node, "get"):
        if node.get("/S") == "/Figure":
            yield node
        if "/K" in node:
            yield from _figures(node["/K"])


def test_recepisse_contains_the_qr_code_of_the_verify_url(recepisse):
    # The tagged PDF declares the QR code as a figure with an alternative text.
    figures = list(_figures(recepisse.trailer["/Root"]["/StructTreeRoot"]))
    assert [figure["/Alt"] for figure in figures] == ["Code QR de vérification"]

    # WeasyPrint draws the SVG as vector paths in module units, one "x y m x' y l x' y+1 l x y+1 l h" rectangle
    # per run of dark modules on a row: read them back and compare with the QR code of the verification URL.
    content = recepisse.pages[0].get_contents().get_data().decode("latin-1")
    figure = re.search(r"/Figure\s*<<[^>]*>>\s*BDC(.*?)EMC", content, re.S)[1]
    dark = set()
    for x1, y, x2 in re.findall(r"(\d+) (\d+) m\s+(\d+) \2 l", figure):
        dark.update((int(y), x) for x in range(int(x1), int(x2)))
    expected = qr_matrix(VERIFY_URL, error="M")
    assert dark == {(y, x) for y, row in enumerate(expected) for x, on in enumerate(row) if on}
    assert decode(expected) == VERIFY_URL


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils (pdftoppm) is not installed")
def test_the_printed_qr_code_scans(recepisse_pdf, tmp_path):
    # The page as a printer at 150 dpi would put it on paper, read by a scanner's decoder.
    (tmp_path / "page.pdf").write_bytes(recepisse_pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-gray", "-png", "page.pdf", "page"], cwd=tmp_path, check=True)
    (page,) = tmp_path.glob("page*.png")
    results = zxingcpp.read_barcodes(Image.open(page), formats=zxingcpp.BarcodeFormat.QRCode)
    assert [result.text for result in results] == [VERIFY_URL]
    assert results[0].ec_level in ("M", "Q", "H")


def test_qr_data_uri():
    uri = qr_data_uri(VERIFY_URL)
    assert uri.startswith("data:image/svg+xml;base64,")
    assert uri == qr_data_uri(VERIFY_URL)
    svg = base64.b64decode(uri.split(",", 1)[1]).decode()
    size = len(qr_matrix(VERIFY_URL))
    assert f'viewBox="0 0 {size} {size}"' in svg and "width=" not in svg.split(">", 1)[0]  # sized by the CSS


def test_template_version(settings):
    assert template_version("pdf/recepisse.html") == "2"
    use_templates(
        settings,
        {
            "pdf/v3.html": '{# version: 3 #}\n{% extends "pdf/base.html" %}\n'
            "{% block content %}<p>Version trois</p>{% endblock %}",
            "pdf/unversioned.html": '{% extends "pdf/base.html" %}',
        },
    )
    assert template_version("pdf/v3.html") == "3"
    assert template_version("pdf/unversioned.html") == "1"

    context = recepisse_context(document_title="Attestation", valid_until=datetime.date(2027, 2, 1))
    reader = PdfReader(io.BytesIO(render_pdf("pdf/v3.html", context)))
    assert reader.metadata["/templateversion"] == "3"
    text = text_of(reader)
    assert "Attestation" in text and "Version trois" in text and "Valable jusqu'au 1er février 2027" in text


def test_rendering_is_deterministic(recepisse_pdf, recepisse):
    again = render_pdf("pdf/recepisse.html", recepisse_context())
    assert text_of(PdfReader(io.BytesIO(again))) == text_of(recepisse)
    assert again == recepisse_pdf


def test_french_dates_and_brand_whatever_the_active_language(settings):
    settings.PORTAL_BRAND_HTML = "République<br>française"
    with translation.override("en"):
        html = render_html("pdf/recepisse.html", recepisse_context(filed_by="", expected_decision_date=None))
    assert "27 novembre 2026 à 14 h 05" in html
    assert "République<br>française" in html
    assert "Déposé par" not in html and "Décision attendue" not in html


def test_context_brand_overrides_the_setting():
    html = render_html("pdf/recepisse.html", recepisse_context(brand="Ministère<br>de l'Intérieur"))
    assert "Ministère<br>de l'Intérieur" in html  # brand is trusted configuration: HTML, not escaped


def test_applicant_data_is_escaped():
    html = render_html("pdf/recepisse.html", recepisse_context(applicant_name="<b>Jean & Fils</b>"))
    assert "&lt;b&gt;Jean &amp; Fils&lt;/b&gt;" in html


def test_weasyprint_stays_quiet(caplog):
    caplog.set_level(logging.DEBUG)
    render_pdf("pdf/recepisse.html", recepisse_context())
    assert not [r for r in caplog.records if r.name.startswith(("weasyprint", "fontTools"))]


def test_a_missing_resource_fails_the_render(settings):
    use_templates(
        settings,
        {"pdf/broken.html": '{% extends "pdf/base.html" %}{% block content %}<img src="absent.png">{% endblock %}'},
    )
    with pytest.raises(PdfRenderError):
        render_pdf("pdf/broken.html", recepisse_context())
