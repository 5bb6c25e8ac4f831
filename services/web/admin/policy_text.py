"""The policy editor's changes, problems and level overrides in the reader's words.

A setting's dotted path (``screening.north-1``, ``zones.teaching.open_until``) is named
by ``policy.field.*`` in the catalogue, its value shown as people say it ("37.5 °C",
"严格（发热禁止入校）", "每户 1 人次 / 48 小时", "全天"), never as JSON.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import time
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

from services.policy.editor import Change, Problem
from services.policy.service import Override
from ui.i18n import MESSAGES, Lang, t

BOOLEAN = frozenset({
    "health_code_required", "travel_check", "mask_required", "accept_plain_ids",
    "visitors_allowed",
})  # fmt: skip
CELSIUS = frozenset({"threshold", "plausible_min", "plausible_max"})
KIND_LISTS = frozenset({"gate_kinds", "zone.kinds"})


class FieldWords(BaseModel):
    """One field as a person reads it: which (``field`` is the path), and what."""

    model_config = ConfigDict(frozen=True)

    field: str
    label: str
    text: str


def _split(path: str) -> tuple[str, dict[str, str]]:
    """The catalogue's name of a setting path and the names it holds (gate, zone)."""
    parts = path.split(".")
    if parts[0] in ("screening", "gate_kinds") and len(parts) > 1:
        return parts[0], {"gate": ".".join(parts[1:])}
    if parts[0] == "zones" and len(parts) > 2:
        return f"zone.{parts[-1]}", {"zone": ".".join(parts[1:-1])}
    if parts[0] == "zones" and len(parts) == 2:
        return "zone", {"zone": parts[1]}
    return parts[0], {}


def label(lang: Lang, path: str) -> str:
    name, values = _split(path)
    key = f"policy.field.{name}"
    return t(lang, key, **values) if key in MESSAGES else path


def _kind(lang: Lang, kind: str) -> str:
    key = f"kind.{kind}"
    return t(lang, key) if key in MESSAGES else kind


def words(lang: Lang, path: str, value: Any) -> str:
    """``value`` of the setting at ``path`` in words."""
    name, _ = _split(path)
    if value is None:
        return t(lang, _NONE.get(name, "policy.value.none"))
    if name in CELSIUS:
        return t(lang, "policy.value.celsius", value=Decimal(str(value)))
    if isinstance(value, bool):
        return t(lang, "policy.value.yes" if value else "policy.value.no")
    if name in ("screening", "default_screening"):
        return t(lang, f"policy.value.{value}") if value in ("hard", "soft") else str(value)
    if name in ("exit_quota", "zone.exit_quota") and isinstance(value, dict):
        return t(
            lang, "policy.value.quota", exits=value.get("exits"), hours=value.get("window_hours")
        )
    if name == "test_max_age_hours":
        return t(lang, "policy.value.hours", hours=value)
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(map(str, value))
        if name in KIND_LISTS:
            items = [_kind(lang, item) for item in items]
        return "、".join(items) if items else t(lang, "policy.value.absent")
    return str(value)


# What "no value" means, setting by setting.
_NONE = {
    "exit_quota": "policy.value.no_quota",
    "zone.exit_quota": "policy.value.no_quota",
    "test_max_age_hours": "policy.value.not_required",
    "gate_kinds": "policy.value.all_kinds",
    "zone.kinds": "policy.value.all_kinds",
    "zone.open_from": "policy.value.always",
    "zone.open_until": "policy.value.always",
    "screening": "policy.value.default_mode",
    "health_code_required": "policy.value.unchanged",
    "mask_required": "policy.value.unchanged",
}


class ChangeWords(BaseModel):
    """One change, field by field: the setting, the value in force and the new one in words."""

    model_config = ConfigDict(frozen=True)

    field: str
    label: str
    old: str
    new: str


def change_words(lang: Lang, found: Iterable[Change]) -> list[ChangeWords]:
    return [
        ChangeWords(
            field=c.field,
            label=label(lang, c.field),
            old=words(lang, c.field, c.old),
            new=words(lang, c.field, c.new),
        )
        for c in found
    ]


def problem_words(lang: Lang, problems: Iterable[Problem]) -> list[FieldWords]:
    out = []
    for p in problems:
        key = f"policy.error.{p.code}"
        text = t(lang, key, **p.values) if key in MESSAGES else t(lang, "policy.error.invalid")
        out.append(FieldWords(field=p.field, label=label(lang, p.field), text=text))
    return out


def override_words(lang: Lang, level: str, overrides: Iterable[Override]) -> list[FieldWords]:
    return [
        FieldWords(
            field=o.field,
            label=label(lang, o.field),
            text=t(
                lang,
                "policy.override_line",
                field=label(lang, o.field),
                level=level,
                hand_set=words(lang, o.field, o.hand_set),
                level_value=words(lang, o.field, o.level_value),
            ),
        )
        for o in overrides
    ]
