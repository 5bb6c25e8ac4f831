"""The reason catalogue is the only home of a reason: complete, worded, and the only speller."""

from __future__ import annotations

import ast
import re
from decimal import Decimal
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from kernel.decision import SEVERITY, CodeFacts, CodeStatus, decide
from kernel.decision.reasons import REASONS, Reason, reason_info
from tests.fixtures.decision import ALICE, ID_CODE, facts, passage, policy
from ui.i18n import reason_words

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("kernel", "gateway", "services", "devices", "schemas")
CATALOGUE = Path("kernel/decision/reasons.py")
# String literals equal to a reason code that are not reasons; each says why it may stay.
NOT_REASONS = {
    # CodeError.reason: an attribute nothing reads; kernel/errors.py is the error tree's.
    (Path("kernel/errors.py"), "invalid_code"),
    (Path("kernel/errors.py"), "expired_code"),
    # The demo's scenario name "fever" (a person with a fever walks in), not a reason.
    (Path("services/demo/flow.py"), "fever"),
    # The symptoms notice: its kind, and the data field listing the symptoms a guard saw.
    (Path("services/web/notify/cards.py"), "symptoms"),
    (Path("services/web/gates/lane_health.py"), "symptoms"),
}


def test_every_reason_has_an_outcome_and_words_in_both_languages() -> None:
    assert set(REASONS) == set(Reason)
    for reason, info in REASONS.items():
        assert info.outcome in SEVERITY, reason
        assert info.zh.strip(), reason
        assert info.en.strip(), reason
        assert re.search(r"[\u4e00-\u9fff]", info.zh), f"{reason}: zh-CN words are Chinese"
        assert reason_words("zh-CN", reason) == info.zh
        assert reason_words("en", reason) == info.en
    assert len({i.zh for i in REASONS.values()}) == len(REASONS), "two reasons, one zh label"
    assert len({i.en for i in REASONS.values()}) == len(REASONS), "two reasons, one en label"


def test_the_reasons_the_issue_found_missing_are_there() -> None:
    for code in ("snapshot_stale", "malformed", "code_used", "quota_exceeded"):
        info = reason_info(code)
        assert info is not None, code
        assert info.outcome == "deny"
    assert reason_info("no_such_reason") is None
    assert reason_words("en", "no_such_reason") == "no_such_reason"  # shown, never hidden


def _literals(path: Path) -> list[tuple[int, str]]:
    """String constants of a module, docstrings left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        if id(node) not in docstrings
    ]


def reason_literals(root: Path = ROOT) -> list[str]:
    """Every place outside the catalogue that spells a reason code as a string."""
    codes = {reason.value for reason in Reason}
    found = []
    for package in SOURCES:
        for path in sorted((root / package).rglob("*.py")):
            where = path.relative_to(root)
            if where == CATALOGUE or "migrations" in where.parts:
                continue
            for line, text in _literals(path):
                if text in codes and (where, text) not in NOT_REASONS:
                    found.append(f"{where}:{line}: {text!r} (use kernel.decision.reasons.Reason)")
    return found


def test_only_the_catalogue_spells_a_reason() -> None:
    """Emitting goes through the catalogue's members, so every emitted reason has words."""
    found = reason_literals()
    assert not found, "\n".join(found)


def test_the_scan_sees_a_reason_spelt_by_hand(tmp_path: Path) -> None:
    (tmp_path / "gateway").mkdir()
    (tmp_path / "gateway" / "m.py").write_text(
        '"""snapshot_stale in a docstring is prose."""\nREASONS = ["snapshot_stale"]\n'
    )
    assert reason_literals(tmp_path) == [
        "gateway/m.py:2: 'snapshot_stale' (use kernel.decision.reasons.Reason)"
    ]


code_facts = st.sampled_from(
    [
        ID_CODE,
        CodeFacts(status=CodeStatus.INVALID),
        CodeFacts(status=CodeStatus.EXPIRED),
        CodeFacts(status=CodeStatus.NOT_YET_VALID),
        CodeFacts(status=CodeStatus.USED, once=True),
        CodeFacts(status=CodeStatus.VALID, typ="health", subject=ALICE.person_id, health="red"),
        CodeFacts(status=CodeStatus.VALID, typ="health", subject="someone-else", health="yellow"),
    ]
)


@given(
    codes=st.lists(code_facts, max_size=3).map(tuple),
    person=st.sampled_from([None, ALICE]),
    celsius=st.sampled_from([None, "30.0", "36.6", "38.5"]),
    direction=st.sampled_from(["in", "out"]),
    mask=st.sampled_from([True, False, None]),
    locked=st.booleans(),
    quota=st.booleans(),
    strict=st.booleans(),
)
def test_every_reason_decide_gives_is_in_the_catalogue_with_its_outcome(
    codes: tuple[CodeFacts, ...],
    person: object,
    celsius: str | None,
    direction: str,
    mask: bool | None,
    locked: bool,
    quota: bool,
    strict: bool,
) -> None:
    decision = decide(
        passage(celsius, direction=direction, mask=mask),
        facts(codes=codes, person=person, gate_locked=locked, quota_exceeded=quota),
        policy(health_code_required=strict, mask_required=True, threshold=Decimal("37.3")),
    )
    for code in decision.reasons:
        info = reason_info(code)
        assert info is not None, code
        # Hard screening: every reason's rule fired with the catalogue's outcome.
        assert SEVERITY[decision.decision] >= SEVERITY[info.outcome], code
