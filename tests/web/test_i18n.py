"""The message catalogue: complete in both languages, covering every decision reason."""

from __future__ import annotations

import re
from pathlib import Path

from kernel.decision.reasons import REASONS, Reason
from services.web.auth.roles import Role
from ui.i18n import MESSAGES, catalogue, lang_from_header, lang_or_default, t

ROOT = Path(__file__).resolve().parents[2]


def test_every_message_exists_in_both_languages() -> None:
    for key, (zh, en) in MESSAGES.items():
        assert zh.strip(), key
        assert en.strip(), key
        assert set(re.findall(r"{(\w+)}", zh)) == set(re.findall(r"{(\w+)}", en)), key
    assert catalogue("en")["decision.admit"] == "ADMIT"
    assert catalogue("zh-CN")["decision.admit"] == "通行"


def test_every_reason_of_the_catalogue_has_words_on_the_pages() -> None:
    # The catalogue is the only home of reasons (tests/decision/test_reasons.py).
    for reason, info in REASONS.items():
        assert MESSAGES[f"reason.{reason.value}"] == (info.zh, info.en), reason
    assert t("zh-CN", "reason.snapshot_stale") == REASONS[Reason.SNAPSHOT_STALE].zh
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
