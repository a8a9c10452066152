"""QR codes (core/qrcode.py): they scan, at the error-correction level asked or stronger, drawn as one path."""

import base64
import re

import pytest
import zxingcpp

from core.qrcode import qr_data_uri, qr_matrix, qr_svg
from tests.qr_support import decode
from tests.qr_support import image as _image

URL = "HTTPS://DEMARCHES.EXAMPLE.GOUV.FR/V/K7QF3XPAAB12"


@pytest.mark.parametrize(
    "data",
    [URL, "https://demarches.example.gouv.fr/verifier/K7QF3XPAAB12/", "otpauth://totp/Portail:agent%40x.fr?secret=JBSW"
     "Y3DPEHPK3PXP&algorithm=SHA1&digits=6&period=30", "Déclaration de cession — 12 €"],
)
def test_what_is_encoded_scans_back(data):
    assert decode(qr_matrix(data)) == data


def test_the_quiet_zone_is_four_modules():
    matrix = qr_matrix(URL)
    assert all(not any(row) for row in matrix[:4] + matrix[-4:])
    assert all(not any(row[:4] + row[-4:]) for row in matrix)
    assert (len(matrix) - 8 - 17) % 4 == 0  # a QR symbol is 17 + 4 × version modules a side


@pytest.mark.parametrize(
    ("data", "level"),
    [
        ("HTTPS://PORTAIL.EXEMPLE.GOUV.FR/V/ABCD2345EFGH", "Q"),
        (URL, "M"),
        ("HTTPS://X.FR/V/K7QF3XPAAB12", "Q"),
        ("ABC", "H"),
    ],
)
def test_the_level_is_raised_when_it_costs_no_size(data, level):
    read = zxingcpp.read_barcode(_image(qr_matrix(data, error="M")))
    assert read.text == data and read.ec_level == level
    assert len(qr_matrix(data, error="M")) == len(qr_matrix(data, error=level))
    stronger = "MQH"[min("MQH".index(level) + 1, 2)]
    assert level == "H" or len(qr_matrix(data, error=stronger)) > len(qr_matrix(data, error=level))


def test_unknown_level():
    with pytest.raises(ValueError):
        qr_matrix(URL, error="X")


def test_svg_draws_each_run_of_dark_modules_once():
    svg = qr_svg(URL)
    matrix = qr_matrix(URL)
    drawn = set()
    for x, y, width in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\3z", svg):
        cells = {(int(y), int(x) + i) for i in range(int(width))}
        assert not drawn & cells
        drawn |= cells
    assert drawn == {(y, x) for y, row in enumerate(matrix) for x, on in enumerate(row) if on}
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 37 37" shape-rendering="crispEdges">')


def test_svg_for_a_page_is_sized_and_named():
    svg = qr_svg(URL, scale=4, title='QR code à "scanner" <ici>')
    assert 'width="148" height="148"' in svg
    assert 'role="img" aria-label="QR code à &quot;scanner&quot; &lt;ici&gt;"' in svg
    assert "<title>QR code à &quot;scanner&quot; &lt;ici&gt;</title>" in svg


def test_data_uri():
    uri = qr_data_uri(URL)
    assert uri.startswith("data:image/svg+xml;base64,")
    assert base64.b64decode(uri.removeprefix("data:image/svg+xml;base64,")).decode() == qr_svg(URL)
