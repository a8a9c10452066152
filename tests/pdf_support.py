"""Reading the text of generated PDFs in tests."""


def squashed(text):
    """The text without any whitespace: WeasyPrint wraps a long name in a table cell at a space or after a hyphen
    ("Camus-⏎Lefebvre"), and the extracted text keeps the line break; names are compared squashed."""
    return "".join(text.split())


def shows(text, *needles):
    """Whether every needle appears in the PDF text, whatever the line breaks."""
    haystack = squashed(text)
    return all(squashed(needle) in haystack for needle in needles)
