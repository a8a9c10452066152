"""Reading QR codes back in tests, with zxing-cpp's reader (the decoder of the scanning apps built on ZXing)."""

import zxingcpp
from PIL import Image


def image(matrix, scale=4):
    """The QR code given as rows of modules (True = dark), drawn black on white, ``scale`` pixels a module."""
    size = len(matrix)
    drawn = Image.new("L", (size, size), 255)
    drawn.putdata([0 if on else 255 for row in matrix for on in row])
    return drawn.resize((size * scale, size * scale), Image.NEAREST)


def decode(matrix):
    """Return the text of a QR code given as rows of modules, or None if it does not scan."""
    result = zxingcpp.read_barcode(image(matrix))
    return result.text if result else None
