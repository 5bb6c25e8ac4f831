"""The one exception tree: drawn true in ``kernel/errors.py``, every class answered over HTTP.

The tree is found, not listed: every module of the product is imported and
``CampusgateError.__subclasses__()`` walked, so a new error anywhere shows up here.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from functools import cache

from kernel import errors
from kernel.errors import CampusgateError
from services.web.api.errors import HTTP_ERRORS, full_name

PACKAGES = ("schemas", "kernel", "devices", "gateway", "services")
# Alembic's env.py runs a migration when imported; migrations define no errors.
NOT_IMPORTED = ("services.storage.migrations",)
# A line of the drawing: tree prefix, class name, optional (module).
DRAWN = re.compile(
    r"^(?P<prefix>(?:[│ ]   )*(?:[├└]── )?)(?P<name>\w+)(?:\s+\((?P<module>[\w.]+)\))?"
)


@cache
def project_errors() -> dict[str, str | None]:
    """Every project exception class by full name -> its parent's full name (None: the root)."""
    for package in PACKAGES:
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, f"{package}."):
            if not info.name.startswith(NOT_IMPORTED):
                importlib.import_module(info.name)
    found: dict[str, str | None] = {full_name(CampusgateError): None}
    pending = [CampusgateError]
    while pending:
        parent = pending.pop()
        for child in parent.__subclasses__():
            if child.__module__.split(".")[0] in PACKAGES:  # not a test's own subclass
                found[full_name(child)] = full_name(parent)
                pending.append(child)
    return found


def drawn_tree() -> dict[str, str | None]:
    """The drawing in kernel/errors.py's docstring, as full name -> parent's full name."""
    doc = errors.__doc__ or ""
    lines = doc.split("\n\n")[1].splitlines()  # the indented block after the first line
    indent = len(lines[0]) - len(lines[0].lstrip())
    drawn: dict[str, str | None] = {}
    parents: list[str] = []
    for line in lines:
        match = DRAWN.match(line[indent:])
        assert match, f"unreadable line in the drawing: {line!r}"
        depth = len(match["prefix"]) // 4
        name = f"{match['module'] or errors.__name__}.{match['name']}"
        del parents[depth:]
        drawn[name] = parents[-1] if parents else None
        parents.append(name)
    return drawn


def test_the_drawing_in_kernel_errors_is_the_tree() -> None:
    assert drawn_tree() == project_errors()


def test_every_project_exception_has_an_http_status() -> None:
    missing = sorted(set(project_errors()) - set(HTTP_ERRORS))
    assert not missing, f"add these to HTTP_ERRORS in services/web/api/errors.py: {missing}"


def test_the_http_table_names_only_classes_that_exist() -> None:
    assert sorted(set(HTTP_ERRORS) - set(project_errors())) == []
