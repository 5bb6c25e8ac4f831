"""Tests are a library: what tests share lives in ``tests/fixtures``, and no test imports another.

A test module that imports another (``from tests.web.server import ...``) makes
the second a library by accident: its tests run again where it is imported, its
fixtures leak, and moving it breaks the first.  Shared helpers and fixtures
belong in ``tests/fixtures`` (registered in ``tests/conftest.py``); everything
else under ``tests/`` is a test module, a ``conftest.py`` or a package marker.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = "tests.fixtures"
SCANNED = ("tests", "bench")


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported(path: Path, root: Path) -> Iterator[tuple[int, str]]:
    module = _module_name(path, root).split(".")
    package = module if path.name == "__init__.py" else module[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            source = ".".join([*base, *([node.module] if node.module else [])])
            for alias in node.names:  # ``from tests.web import server`` names tests.web.server
                yield node.lineno, f"{source}.{alias.name}"


def _is_shared(target: str) -> bool:
    return target == SHARED or target.startswith(f"{SHARED}.")


def imports_of_test_modules(root: Path = ROOT) -> list[str]:
    """Every import of a module under tests/ that is not in tests/fixtures."""
    wrong = []
    for top in SCANNED:
        for path in sorted((root / top).rglob("*.py")):
            for line, target in _imported(path, root):
                if target.split(".")[0] == "tests" and target != "tests" and not _is_shared(target):
                    wrong.append(f"{path.relative_to(root)}:{line}: imports {target}")
    return sorted(wrong)


def stray_helpers(root: Path = ROOT) -> list[str]:
    """Modules under tests/ that are neither tests, conftest, package markers nor fixtures."""
    fixtures = root / "tests" / "fixtures"
    return [
        str(path.relative_to(root))
        for path in sorted((root / "tests").rglob("*.py"))
        if fixtures not in path.parents
        and path.name not in ("conftest.py", "__init__.py")
        and not path.name.startswith("test_")
    ]


def test_no_test_module_imports_another() -> None:
    wrong = imports_of_test_modules()
    assert not wrong, "move what is shared into tests/fixtures:\n" + "\n".join(wrong)


def test_shared_helpers_live_in_fixtures() -> None:
    assert stray_helpers() == []


def test_the_checker_sees_test_imports(tmp_path: Path) -> None:
    """Absolute, relative and ``from package import module`` forms are all caught."""
    web = tmp_path / "tests" / "web"
    web.mkdir(parents=True)
    (tmp_path / "tests" / "fixtures").mkdir()
    (tmp_path / "bench").mkdir()
    (web / "server.py").write_text("")
    (web / "test_a.py").write_text(
        "from tests.web.server import WebServer\n"
        "from . import conftest\n"
        "from .test_b import helper\n"
        "import tests.fixtures.web\n"
        "from tests.fixtures import campus\n"
        "import tests\n"
    )
    (tmp_path / "bench" / "soak.py").write_text("from tests.central import test_service\n")
    assert imports_of_test_modules(tmp_path) == [
        "bench/soak.py:1: imports tests.central.test_service",
        "tests/web/test_a.py:1: imports tests.web.server.WebServer",
        "tests/web/test_a.py:2: imports tests.web.conftest",
        "tests/web/test_a.py:3: imports tests.web.test_b.helper",
    ]
    assert stray_helpers(tmp_path) == ["tests/web/server.py"]
