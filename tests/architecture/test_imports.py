"""The package graph reads one way: this table is where the allowed directions live.

A unit is a top-level package, or a second-level package of ``services``.  Each may
import only itself and the units named for it below; the table itself must be
acyclic, and every unit in the tree must be placed in it.  ARCHITECTURE.md draws it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("schemas", "kernel", "devices", "gateway", "services", "ui")

# ui: the one catalogue of words (ui.i18n) every feature writes its files and lines in.
_CENTRAL_BASE = {"schemas", "kernel", "services.storage", "ui"}
_DELIVERY = {
    "ui",
    "schemas",
    "kernel",
    "devices",
    "gateway",
    *(
        f"services.{name}"
        for name in [
            "storage",
            "identity",
            "exports",
            "grants",
            "passes",
            "appointments",
            "visitors",
            "policy",
            "audit",
            "privacy",
            "roster",
            "cases",
            "snapshot",
            "reports",
            "enrolment",
            "central",
            "broker_admin",
            "deploy",
            "backup",
        ]
    ),
}

ALLOWED: dict[str, set[str]] = {
    # What both sides run, and what the gate adds.
    "schemas": set(),
    "kernel": {"schemas"},
    "devices": {"kernel"},
    "gateway": {"schemas", "kernel", "devices", "ui"},
    # The kiosk both sides serve: its words (zh-CN, English), templates, scripts, sound
    # and the shape of its live events; the gate's local kiosk must not import services.
    "ui": {"schemas", "kernel"},
    # The central side: storage first, then features in the order they may build on.
    "services.storage": {"kernel"},
    # ui: the words of its problems (ui.i18n.Phrase), in every language.
    "services.identity": {"kernel", "ui"},
    "services.exports": {"kernel", "ui"},
    "services.grants": {"schemas", "kernel", "services.identity"},
    "services.passes": _CENTRAL_BASE | {"services.grants", "services.identity"},
    "services.appointments": _CENTRAL_BASE | {"services.grants", "services.identity"},
    "services.policy": _CENTRAL_BASE,
    # Visitors' own requests, walk-ins, host units and plates: appointments underneath.
    "services.visitors": _CENTRAL_BASE
    | {"services.appointments", "services.grants", "services.identity", "services.roster"},
    "services.audit": _CENTRAL_BASE | {"services.exports", "services.passes", "services.policy"},
    "services.privacy": _CENTRAL_BASE | {"services.audit"},
    "services.roster": _CENTRAL_BASE | {"services.exports", "services.identity"},
    "services.snapshot": _CENTRAL_BASE | {"services.policy"},
    # The clinic's isolation cases; ID numbers of uploaded lists are matched by their hash.
    "services.cases": _CENTRAL_BASE | {"services.identity", "services.policy"},
    # reports: the clinic report's follow-up of cases under observation (services.cases).
    "services.reports": _CENTRAL_BASE | {"services.audit", "services.exports", "services.cases"},
    # backup: the database, keys and policy in force, with the chain head in its manifest.
    "services.backup": _CENTRAL_BASE | {"services.audit", "services.policy"},
    # Issued-code register, cards, enrolment links, my code: over storage and the roster's
    # rows; the web (roster page, my-code page) and the CLI deliver it.
    # The roster's photos go on the cards and the my-code page.
    "services.enrolment": _CENTRAL_BASE | {"services.roster"},
    "services.central": _CENTRAL_BASE
    | {
        "services.appointments",
        "services.audit",
        # The roster's ID hash key and its placeholder check: plain IDs at the lanes.
        "services.identity",
        "services.passes",
        "services.policy",
        "services.snapshot",
    },
    # Tooling and delivery sit on top.
    "services.broker_admin": {"schemas", "kernel"},
    # deploy init: the broker's accounts, keys and secrets of a fresh deployment.
    "services.deploy": {"schemas", "kernel", "services.broker_admin"},
    "services.web": _DELIVERY
    - {"devices", "gateway", "services.broker_admin", "services.deploy", "services.backup"},
    "services.demo": _DELIVERY | {"services.web"},
    "services.cli": _DELIVERY | {"services.web", "services.demo"},
}


def _module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def unit_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] not in PACKAGES:
        return None
    if parts[0] == "services" and len(parts) > 1:
        return ".".join(parts[:2])
    return parts[0]


def _imports(path: Path, root: Path = ROOT) -> Iterator[tuple[int, str]]:
    module = _module_name(path, root)
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            # ``from services import web`` imports services.web: name each imported name.
            base = package[: len(package) - node.level + 1] if node.level else []
            source = ".".join([*base, *([node.module] if node.module else [])])
            for alias in node.names:
                yield node.lineno, f"{source}.{alias.name}"


def source_files(root: Path = ROOT) -> list[Path]:
    return sorted(
        path
        for package in PACKAGES
        for path in (root / package).rglob("*.py")
        if "migrations" not in path.parts
    )


def violations(root: Path = ROOT) -> list[str]:
    wrong = []
    for path in source_files(root):
        here = unit_of(_module_name(path, root))
        assert here is not None
        for line, target in _imports(path, root):
            there = unit_of(target)
            if there is None or there == here or there in ALLOWED.get(here, set()):
                continue
            wrong.append(f"{path.relative_to(root)}:{line}: {here} may not import {target}")
    return wrong


def test_every_import_follows_the_table() -> None:
    wrong = violations()
    assert not wrong, "\n".join(wrong)


def test_every_unit_is_placed() -> None:
    units = {unit_of(_module_name(path)) for path in source_files()}
    units.discard("services")
    assert units - ALLOWED.keys() == set(), "place new packages in ALLOWED"


def test_the_table_has_no_cycle() -> None:
    done: set[str] = set()

    def visit(unit: str, trail: tuple[str, ...]) -> None:
        if unit in trail:
            pytest.fail(" -> ".join([*trail, unit]))
        if unit in done:
            return
        for target in ALLOWED[unit]:
            visit(target, (*trail, unit))
        done.add(unit)

    for unit in ALLOWED:
        visit(unit, ())


@pytest.mark.parametrize("unit", ["schemas", "kernel", "devices", "gateway"])
def test_the_gate_side_never_reaches_the_centre(unit: str) -> None:
    assert not any(target.startswith("services") for target in ALLOWED[unit])


def test_the_checker_sees_wrong_imports(tmp_path: Path) -> None:
    """Absolute and relative imports against the table are both caught."""
    (tmp_path / "kernel" / "codes").mkdir(parents=True)
    (tmp_path / "kernel" / "__init__.py").write_text("")
    (tmp_path / "kernel" / "codes" / "__init__.py").write_text("from ...services import web\n")
    (tmp_path / "kernel" / "clock.py").write_text("import services.storage.models\nimport os\n")
    (tmp_path / "services" / "storage").mkdir(parents=True)
    (tmp_path / "services" / "storage" / "m.py").write_text("from ..audit import chain\n")
    found = violations(tmp_path)
    assert found == [
        "kernel/clock.py:1: kernel may not import services.storage.models",
        "kernel/codes/__init__.py:1: kernel may not import services.web",
        "services/storage/m.py:1: services.storage may not import services.audit.chain",
    ]
