"""The one catalogue of words covers everything the product names: every reason the decision
core can emit, every status, every report and export column, in every language.

Each family below is read from where the product defines it (the ``Reason`` enum, the
status literals of the wire and the services, the column tables of the report and export
writers), so a new member without words fails here, not in front of a person.
"""

from __future__ import annotations

import inspect
import re
from typing import get_args

import pytest

from kernel.decision.reasons import INCIDENTS, REASONS, SYMPTOMS, Reason
from schemas.messages import DeviceHealth, Direction, GateStatus, Outcome
from services.appointments.service import Status as AppointmentStatus
from services.cases.checkins import Slot
from services.cases.lifecycle import Origin
from services.cases.lifecycle import Status as CaseStatus
from services.passes.service import PassState
from services.roster.columns import KINDS
from services.web.auth.roles import Role
from ui.i18n import (
    LANGS,
    MESSAGES,
    lang_arg,
    reason_words,
    reasons_text,
    site_lang,
    t,
    word,
)

CJK = re.compile(r"[\u4e00-\u9fff]")
WORDS = re.compile(r"[A-Za-z]{2,}")
PLACEHOLDER = re.compile(r"{(\w+)}")


def _literal(annotation: object) -> list[str]:
    return [str(v) for v in get_args(annotation)]


# family prefix -> every value the product can show in it
STATUS_FAMILIES: dict[str, list[str]] = {
    "reason": [r.value for r in Reason],
    "decision": _literal(Outcome),
    "direction": _literal(Direction),
    "kind": list(KINDS),
    "status": [s.value for s in CaseStatus],
    "origin": [o.value for o in Origin],
    "appt.status": _literal(AppointmentStatus),
    "pass.state": _literal(PassState),
    "device": _literal(DeviceHealth.model_fields["state"].annotation),
    "gate": _literal(GateStatus.model_fields["mode"].annotation),
    "slot": [s.value for s in Slot],
    "symptom": [s.value for s in SYMPTOMS],
    "incident": [i.value for i in INCIDENTS],
    "role": [r.value for r in Role],
}


def missing_words(keys: list[str]) -> list[str]:
    """The keys without a text in every language (empty: all worded)."""
    gaps = []
    for key in keys:
        texts = MESSAGES.get(key)
        if texts is None or len(texts) < len(LANGS) or not all(s.strip() for s in texts):
            gaps.append(key)
    return gaps


def test_every_entry_has_every_language_with_the_same_placeholders() -> None:
    for key, texts in MESSAGES.items():
        assert len(texts) == len(LANGS), key
        assert all(text.strip() for text in texts), key
        names = [set(PLACEHOLDER.findall(text)) for text in texts]
        assert all(n == names[0] for n in names), key
        zh = PLACEHOLDER.sub("", texts[LANGS.index("zh-CN")])
        en = PLACEHOLDER.sub("", texts[LANGS.index("en")])
        # A zh-CN text that says something in words says it in Chinese.
        assert not WORDS.search(en) or CJK.search(zh), f"{key}: {texts[0]!r} is not Chinese"


@pytest.mark.parametrize("family", sorted(STATUS_FAMILIES))
def test_every_status_reason_and_kind_has_words(family: str) -> None:
    values = STATUS_FAMILIES[family]
    assert values, family
    assert missing_words([f"{family}.{value}" for value in values]) == []


def test_every_reason_the_core_can_emit_is_worded_in_every_language() -> None:
    assert set(REASONS) == set(Reason)
    for reason in Reason:
        assert reason_words("zh-CN", reason) == REASONS[reason].zh
        assert reason_words("en", reason) == REASONS[reason].en
        assert CJK.search(reason_words("zh-CN", reason)), reason
    assert reason_words("zh-CN", "not_whitelisted") == "不在白名单"
    assert reason_words("zh-CN", "snapshot_stale") == "离线白名单已过期"
    assert reasons_text("zh-CN", ["fever", "no_mask"]) == "发热、未佩戴口罩"
    assert reasons_text("en", ["fever", "no_mask"]) == "fever, no mask"
    assert reason_words("en", "from_a_newer_gate") == "from_a_newer_gate"  # shown, not hidden


def test_the_checker_sees_a_gap() -> None:
    MESSAGES["test.half"] = ("半", "")
    try:
        assert missing_words(["test.half", "test.absent", "decision.admit"]) == [
            "test.half",
            "test.absent",
        ]
    finally:
        del MESSAGES["test.half"]


def test_word_reads_known_values_and_shows_unknown_ones() -> None:
    assert word("zh-CN", "status", "observation") == "隔离观察中"
    assert word("en", "pass.state", "used_up") == "used up"
    assert word("zh-CN", "status", "from_the_future") == "from_the_future"
    assert t("en", "cli.case.count", n=3) == "3 case(s)"


def test_the_site_language_and_the_lang_option(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CAMPUSGATE_LANG", raising=False)
    assert site_lang() == "zh-CN"
    assert lang_arg(None) == "zh-CN"
    assert lang_arg("zh") == "zh-CN"
    assert lang_arg("EN") == "en"
    monkeypatch.setenv("CAMPUSGATE_LANG", "en")
    assert site_lang() == "en"
    assert lang_arg(None) == "en"
    assert lang_arg("zh-CN") == "zh-CN"
    from kernel.errors import ConfigError

    with pytest.raises(ConfigError):
        lang_arg("fr")
    monkeypatch.setenv("CAMPUSGATE_LANG", "klingon")
    with pytest.raises(ConfigError):
        site_lang()


def test_every_report_and_export_column_and_figure_has_words() -> None:
    from services.audit import export as audit_export
    from services.reports import render
    from services.reports.census_render import census_figures
    from services.roster.service import ROSTER_COLUMNS

    columns = [key for table in (*render.COLUMNS, *audit_export.COLUMNS) for key in table]
    columns += [f"roster.col.{name}" for name in ROSTER_COLUMNS]
    assert len(columns) > 40
    assert missing_words(columns) == []
    source = (inspect.getsource(render.key_figures), inspect.getsource(census_figures))
    # The summary's figures are named in these two as ("name", value) pairs.
    names = {m for text in source for m in re.findall(r'^\s+\("(\w+)", ', text, re.M)}
    assert {"passages", "on_campus", "suspended_cases"} <= names
    assert missing_words([f"rpt.fig.{name}" for name in names]) == []
