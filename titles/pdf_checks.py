"""What `titles.uploads` looks for in an uploaded PDF: active content (JavaScript, launch actions, embedded files,
automatic actions other than going to a page), found by walking every object reachable from the trailer, and the
same names written in clear anywhere in the bytes; and a way to parse untrusted PDFs with pypdf's logs and warnings
silenced. `titles.uploads._check_pdf` turns what this finds into the French refusal."""

import logging
import re
import threading
import warnings
from contextlib import contextmanager

from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

_PYPDF_LOGGER = logging.getLogger("pypdf")
_pypdf_quiet_lock = threading.Lock()
_pypdf_quiet_depth = 0
_pypdf_saved_level = logging.NOTSET


@contextmanager
def quiet_pypdf():
    """Silence pypdf's loggers (pypdf.* children inherit the level) and warnings while parsing untrusted PDFs.

    The logger level is shared by threads: a counter makes sure the first one in saves it and the last one out
    restores it, whatever the interleaving.
    """
    global _pypdf_quiet_depth, _pypdf_saved_level
    with _pypdf_quiet_lock:
        if _pypdf_quiet_depth == 0:
            _pypdf_saved_level = _PYPDF_LOGGER.level
            _PYPDF_LOGGER.setLevel(logging.CRITICAL + 1)
        _pypdf_quiet_depth += 1
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        with _pypdf_quiet_lock:
            _pypdf_quiet_depth -= 1
            if _pypdf_quiet_depth == 0:
                _PYPDF_LOGGER.setLevel(_pypdf_saved_level)


class ActiveContent(Exception):
    pass


class TooComplex(Exception):
    pass


# Actions refused wherever they are (even behind a click).
_ACTIVE_ACTIONS = frozenset({"/JavaScript", "/Launch", "/ImportData", "/GoToE", "/SubmitForm", "/RichMediaExecute"})
# Actions allowed when they run by themselves (/OpenAction, /AA): moving around the document, nothing else.
_HARMLESS_AUTOMATIC_ACTIONS = frozenset({"/GoTo", "/Named", "/Thread", "/Trans", "/Hide", "/SetOCGState"})
_ACTIVE_KEYS = frozenset({"/JS", "/JavaScript", "/EmbeddedFiles", "/EF", "/XFA", "/RichMediaContent"})
_ACTIVE_TYPES = frozenset({"/EmbeddedFile"})
_ACTIVE_SUBTYPES = frozenset({"/FileAttachment", "/RichMedia"})
# Defence in depth: these names written in clear anywhere in the file (pypdf may have seen another revision).
RAW_ACTIVE = re.compile(rb"/(?:JavaScript|Launch|EmbeddedFiles?|RichMediaExecute)(?=[\s/<>\[\]()%{}]|$)")
# A 20-page scan has a few hundred objects; far more means a crafted file.
_MAX_PDF_OBJECTS = 200_000
_MAX_ACTION_CHAIN = 100


def _resolve(value):
    return value.get_object() if isinstance(value, IndirectObject) else value


def scan_for_active_content(reader):
    """Walk every object reachable from the trailer; raise ActiveContent at the first active element."""
    stack = [reader.trailer]
    seen = set()
    visited = 0
    while stack:
        node = stack.pop()
        if isinstance(node, IndirectObject):
            key = (node.idnum, node.generation)
            if key in seen:
                continue
            seen.add(key)
            node = node.get_object()
        if isinstance(node, DictionaryObject):  # includes streams (their dictionary; content cannot run code)
            visited += 1
            _check_dictionary(node)
            stack.extend(value for value in node.values() if isinstance(value, _CONTAINERS))
        elif isinstance(node, ArrayObject):
            visited += 1
            stack.extend(value for value in node if isinstance(value, _CONTAINERS))
        if visited > _MAX_PDF_OBJECTS:
            raise TooComplex("too many PDF objects")


_CONTAINERS = (IndirectObject, DictionaryObject, ArrayObject)


def _check_dictionary(dictionary):
    for key in _ACTIVE_KEYS:
        if key in dictionary:
            raise ActiveContent(key)
    if _resolve(dictionary.get("/Type")) in _ACTIVE_TYPES:
        raise ActiveContent("/Type /EmbeddedFile")
    if _resolve(dictionary.get("/Subtype")) in _ACTIVE_SUBTYPES:
        raise ActiveContent(f"/Subtype {_resolve(dictionary.get('/Subtype'))}")
    action_type = _resolve(dictionary.get("/S"))
    if action_type in _ACTIVE_ACTIONS:
        raise ActiveContent(f"/S {action_type}")
    if "/OpenAction" in dictionary:
        _check_automatic_action(dictionary["/OpenAction"], "/OpenAction")
    additional = _resolve(dictionary.get("/AA"))
    if isinstance(additional, DictionaryObject):
        for trigger, action in additional.items():
            _check_automatic_action(action, f"/AA {trigger}")


def _check_automatic_action(action, where):
    """An action run without a click (document open, page open, field focus…): only navigation is allowed."""
    pending = [action]
    for _ in range(_MAX_ACTION_CHAIN):
        if not pending:
            return
        current = _resolve(pending.pop())
        if isinstance(current, DictionaryObject):
            action_type = _resolve(current.get("/S"))
            if action_type is not None and action_type not in _HARMLESS_AUTOMATIC_ACTIONS:
                raise ActiveContent(f"{where} {action_type}")
            following = _resolve(current.get("/Next"))
            if isinstance(following, ArrayObject):
                pending.extend(following)
            elif following is not None:
                pending.append(following)
        # Anything else (a destination array, a named destination) just opens a page.
    raise TooComplex("action chain too long")
