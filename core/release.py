"""What identifies the code and the configuration a web process serves.

A whole page kept in the shared cache (`titles.page_cache.cached_page`) is keyed by it, so that a page rendered by
one release is never served by another: after a deployment the templates, the wording in Python or the static
files' hashed names may differ, and so may the branding read from the settings.

`PORTAL_RELEASE` (the image's commit, say) names the release when the deployment sets it; otherwise the digest of
the sources' contents stands for it. The contents, not their modification times: two web nodes running the same
release compute the same digest and share the cached pages.
"""

import functools
import hashlib
import os

from django.conf import settings

# What makes a page: the Python code, the templates and the static files the pages name.
_SOURCE_SUFFIXES = (".py", ".html", ".txt", ".json", ".css", ".js")
_SKIPPED = {".git", ".venv", "node_modules", "staticfiles", "var", "media", "tests", "bench", "docs", "__pycache__"}
# The settings a page prints (the branding, the notice) or that change what it offers.
_SETTINGS = ("PORTAL_SITE_TITLE", "PORTAL_SITE_TAGLINE", "PORTAL_BRAND_HTML", "PORTAL_OPERATOR",
             "PORTAL_CONTACT_EMAIL", "PORTAL_NOTICE", "OIDC_RP_CLIENT_ID", "STATIC_URL")


@functools.cache
def release():
    """A short string that changes with the code or the configuration the pages are made of (computed once per
    process: reading the sources takes a few tens of milliseconds)."""
    digest = hashlib.sha256()
    for name in _SETTINGS:
        digest.update(f"{name}={getattr(settings, name, '')}\n".encode())
    digest.update(_static_manifest_hash().encode())
    configured = getattr(settings, "PORTAL_RELEASE", "")
    if configured:
        digest.update(configured.encode())
    else:
        for path in _sources(settings.BASE_DIR):
            digest.update(str(path.relative_to(settings.BASE_DIR)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _static_manifest_hash():
    """The manifest's hash when the static files are served by their hashed names (DEBUG off), else ""."""
    from django.contrib.staticfiles.storage import staticfiles_storage

    try:
        return str(getattr(staticfiles_storage, "manifest_hash", "") or "")
    except (OSError, ValueError):
        return ""


def _sources(base):
    found = []
    for directory, subdirectories, files in os.walk(base):
        subdirectories[:] = [name for name in subdirectories if name not in _SKIPPED and not name.startswith(".")]
        found += [base.__class__(directory) / name for name in files if name.endswith(_SOURCE_SUFFIXES)]
    return sorted(found)
