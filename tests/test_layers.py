"""The layers, read from the source: no app imports the project shell (`portal`), and `core` imports no app.

`portal` is configuration and cross-procedure pages: an app that needs a helper of it (the QR code, the Celery
app, a view decorator) means the helper belongs lower, in `core` or in the app itself. `core` is the bottom layer:
it may use Django and libraries, never the portal's own apps. The check parses each module (every import counts,
a function-local one included) instead of importing it.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHELL = "portal"
APPS = ("accounts", "titles", "vehicles", "licences", "identity", "journal", "notifications", "api")
BOTTOM = "core"


def modules(package):
    return sorted(path for path in (ROOT / package).rglob("*.py") if "migrations" not in path.parts)


def imported_packages(path):
    """Return the top-level package of every absolute import in the module at `path`."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def app_modules():
    for app in APPS:
        for path in modules(app):
            name = path.relative_to(ROOT).as_posix()
            yield pytest.param(path, id=name)


def test_the_scan_sees_the_apps_and_their_imports():
    assert modules("titles") and modules(BOTTOM)
    assert {"django", "core", "titles"} <= imported_packages(ROOT / "titles" / "www" / "citizen" / "wizard.py")
    assert SHELL in imported_packages(ROOT / "portal" / "urls.py")


@pytest.mark.parametrize("path", list(app_modules()))
def test_no_app_imports_the_project_shell(path):
    assert SHELL not in imported_packages(path), f"{path.relative_to(ROOT)} imports {SHELL}: move what it needs lower"


@pytest.mark.parametrize("path", modules(BOTTOM), ids=lambda path: path.relative_to(ROOT).as_posix())
def test_core_imports_no_app(path):
    assert not imported_packages(path) & {SHELL, *APPS}, f"{path.relative_to(ROOT)} imports an app"
