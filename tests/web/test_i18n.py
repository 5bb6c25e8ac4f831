"""The message catalogue: complete in both languages, covering every decision reason."""

from __future__ import annotations

import re
from pathlib import Path

from services.web.auth.roles import Role
from services.web.i18n import MESSAGES, catalogue, lang_from_header, lang_or_default, t

ROOT = Path(__file__).resolve().parents[2]


def test_every_message_exists_in_both_languages() -> None:
    for key, (zh, en) in MESSAGES.items():
        assert zh.strip(), key
        assert en.strip(), key
        assert set(re.findall(r"{(\w+)}", zh)) == set(re.findall(r"{(\w+)}", en)), key
    assert catalogue("en")["decision.admit"] == "ADMIT"
    assert catalogue("zh-CN")["decision.admit"] == "通行"


def test_every_reason_the_decision_core_gives_has_words() -> None:
    source = (ROOT / "kernel/decision/core.py").read_text(encoding="utf-8")
    # Every snake_case literal in the core is a reason; "fever" and "malformed" are the others.
    reasons = set(re.findall(r'"([a-z]+_[a-z_]+)"', source)) | {"fever", "malformed"}
    assert {"fever", "gate_closed", "no_mask", "not_whitelisted"} <= reasons
    for reason in reasons:
        assert f"reason.{reason}" in MESSAGES, reason
    for role in Role:
        assert f"role.{role.value}" in MESSAGES


def test_lookup_and_language_choice() -> None:
    assert t("en", "kiosk.title", gate="north-1") == "Gate north-1"
    assert t("zh-CN", "kiosk.title", gate="north-1") == "门岗 north-1"
    assert t("en", "no.such.key") == "no.such.key"
    assert t("en", "kiosk.title") == "Gate {gate}"  # a missing value never crashes
    assert lang_from_header("en-GB,en;q=0.9") == "en"
    assert lang_from_header("zh-TW,zh;q=0.9") == "zh-CN"
    assert lang_from_header(None) == "zh-CN"
    assert lang_or_default("fr") == "zh-CN"
