"""A notice as a card for people in a chat group or on a phone: title, fields, what to do.

Every chat and SMS format (``chat.py``, ``sms.py``) is drawn from one :class:`Card`,
so the words (``ui/notify_words.py``, zh-CN first) and the local times (the site's
zone, with its offset) are decided once.  Every value that came from a person (a
name, a note, a unit) passes :func:`inert` first: one line, bounded, and without
the characters a chat tool reads as markup or a mention (``<@all>``, ``@13800..``,
``**``, ``[link](..)``, ``<at user_id="all">``), which become their full-width
look-alikes.  A kind of notice this module does not know still becomes a card
(its subject and text), so a new notice never fails a channel.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from services.web.notify.channels import Notice
from ui.i18n import MESSAGES, Lang, t

# Longest value of each sort shown (characters): a name pasted a thousand times is not
# news, and a chat message has a byte limit (WeCom text 2048, markdown 4096 bytes).
NAME_CHARS = 40
NOTE_CHARS = 200
TEXT_CHARS = 600
UNITS_LISTED = 15
# Markup and mention characters of WeCom/DingTalk markdown and Feishu text, and what
# they become: the full-width forms read the same to a person and mean nothing to a parser.
_INERT = str.maketrans({
    "<": "＜", ">": "＞", "[": "［", "]": "］", "(": "（", ")": "）", "*": "＊", "_": "＿",
    "`": "｀", "#": "＃", "@": "＠", "~": "～", "|": "｜", "\\": "＼", "!": "！", "&": "＆",
    "=": "＝", '"': "＂",
})  # fmt: skip
# Bidirectional overrides and isolates: they would make a name read backwards.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


def inert(value: object, limit: int = NAME_CHARS) -> str:
    """``value`` on one line, at most ``limit`` characters, with no markup or mention left."""
    text = str(value)
    kept = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch
        for ch in text
        if ch not in _BIDI
    )
    flat = " ".join(kept.split()).translate(_INERT)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


Maker = Callable[["CardMaker", dict[str, Any]], "Card"]


@dataclass(frozen=True)
class Card:
    """What every format shows: a title, labelled lines, and what to do."""

    kind: str
    title: str
    fields: tuple[tuple[str, str], ...]
    action: str
    urgent: bool = False


class CardMaker:
    """Cards in one language and time zone (a channel's)."""

    def __init__(self, lang: Lang, zone: ZoneInfo) -> None:
        self.lang = lang
        self.zone = zone

    def word(self, key: str, **values: object) -> str:
        return t(self.lang, key, **values)

    def when(self, value: object) -> str:
        """A stored time (ISO 8601, UTC) as the site's wall clock with its offset."""
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            return inert(value)
        if moment.tzinfo is None:
            return inert(value)
        local = moment.astimezone(self.zone)
        offset = local.strftime("%z")
        return f"{local:%Y-%m-%d %H:%M:%S} {offset[:3]}:{offset[3:]}"

    def person(self, data: dict[str, Any]) -> str:
        person = data.get("person")
        if not isinstance(person, dict) or not person.get("name"):
            return self.word("notify.unknown_person")
        masked = person.get("masked_id")
        name = inert(person["name"])
        return f"{name}（{inert(masked)}）" if masked else name

    def label(self, prefix: str, code: object) -> str:
        """The catalogue's words for a code (``symptom.cough``); the code, inert, if unknown."""
        key = f"{prefix}.{code}"
        return self.word(key) if key in MESSAGES else inert(code)

    def field(self, key: str, value: str) -> tuple[str, str]:
        return (self.word(f"notify.field.{key}"), value)

    def card(self, notice: Notice) -> Card:
        make = _MAKERS.get(notice.kind)
        data = notice.data if isinstance(notice.data, dict) else {}
        if make is None:
            return self.other(notice)
        try:
            return make(self, data)
        except (KeyError, TypeError, ValueError, AttributeError):
            return self.other(notice)  # a notice missing a field still goes out

    def other(self, notice: Notice) -> Card:
        return Card(
            kind=notice.kind,
            title=self.word("notify.other"),
            fields=(
                (self.word("notify.field.text"), inert(notice.subject, NOTE_CHARS)),
                (self.word("notify.field.note"), inert(notice.text, TEXT_CHARS)),
            ),
            action="",
        )


def _celsius(maker: CardMaker, data: dict[str, Any]) -> str:
    celsius, threshold = data.get("celsius"), data.get("threshold")
    if celsius is None:
        return maker.word("common.none")
    if threshold is None:
        return f"{float(celsius):.1f} °C"
    return maker.word("notify.celsius", celsius=f"{float(celsius):.1f}",
                      threshold=f"{float(threshold):.1f}")  # fmt: skip


def _fever(maker: CardMaker, data: dict[str, Any]) -> Card:
    fields = [
        maker.field("gate", inert(data["gate"])),
        maker.field("person", maker.person(data)),
        maker.field("temperature", _celsius(maker, data)),
    ]
    if data.get("celsius") is None and data.get("reasons"):
        reasons = [maker.label("reason", r) for r in data["reasons"]]
        fields.append(maker.field("reasons", inert("、".join(reasons), NOTE_CHARS)))
    fields.append(maker.field("time", maker.when(data["ts"])))
    fields.append(maker.field("case", inert(data["case_id"])))
    return Card("fever_alert", maker.word("notify.fever_alert"), tuple(fields),
                maker.word("notify.do.fever_alert"), urgent=True)  # fmt: skip


def _escalation(maker: CardMaker, data: dict[str, Any]) -> Card:
    fields = (
        maker.field("gate", inert(data["gate"])),
        maker.field("person", maker.person(data)),
        maker.field("temperature", _celsius(maker, data)),
        maker.field("opened", maker.when(data["opened_at"])),
        maker.field("case", inert(data["case_id"])),
    )
    minutes = int(data.get("minutes", 0))
    return Card("escalation", maker.word("notify.escalation"), fields,
                maker.word("notify.do.escalation", minutes=minutes), urgent=True)  # fmt: skip


def _symptoms(maker: CardMaker, data: dict[str, Any]) -> Card:
    listed = [maker.label("symptom", s) for s in data.get("symptoms", [])]
    fields = (
        maker.field("gate", inert(data["gate"])),
        maker.field("person", maker.person(data)),
        maker.field("symptoms", inert("、".join(listed) or data.get("note", ""), NOTE_CHARS)),
        maker.field("by", inert(data.get("by", ""))),
        maker.field("case", inert(data["case_id"])),
    )
    return Card("symptoms", maker.word("notify.symptoms"), fields,
                maker.word("notify.do.symptoms"), urgent=True)  # fmt: skip


def _checkins(maker: CardMaker, data: dict[str, Any]) -> Card:
    slot = str(data["slot"]) if data["slot"] in ("morning", "noon") else "?"
    fields = [
        maker.field("day", inert(data["day"])),
        maker.field("slot", maker.label("checkin", slot)),
        maker.field("deadline", inert(str(data["deadline"])[:5])),
        maker.field("missing", maker.word("notify.people", n=int(data["total"]))),
    ]
    units = list(data.get("units", []))
    for unit in units[:UNITS_LISTED]:
        line = maker.word("notify.unit_missing", unit=inert(unit["unit"]), n=len(unit["people"]))
        fields.append(maker.field("class", line))
    if len(units) > UNITS_LISTED:
        more = maker.word("notify.more_units", n=len(units) - UNITS_LISTED)
        fields.append(maker.field("class", more))
    return Card("checkin_reminder", maker.word("notify.checkin_reminder"), tuple(fields),
                maker.word("notify.do.checkin_reminder"))  # fmt: skip


def _walkin(maker: CardMaker, data: dict[str, Any]) -> Card:
    fields = (
        maker.field("gate", inert(data["gate"])),
        maker.field("visitor", inert(data.get("visitor_name", ""))),
        maker.field("unit", inert(data["unit"])),
        maker.field("host", inert(data.get("host_person", ""))),
        maker.field("answer_by", maker.when(data["answer_by"])),
    )
    return Card("walkin", maker.word("notify.walkin"), fields, maker.word("notify.do.walkin"))


def _incident(maker: CardMaker, data: dict[str, Any]) -> Card:
    fields = (
        maker.field("gate", inert(data["gate"])),
        maker.field("incident", maker.label("incident", data["kind"])),
        maker.field("note", inert(data.get("note", ""), NOTE_CHARS) or maker.word("common.none")),
        maker.field("by", inert(data["by"])),
        maker.field("time", maker.when(data["at"])),
    )
    return Card("incident", maker.word("notify.incident"), fields,
                maker.word("notify.do.incident"), urgent=True)  # fmt: skip


def _lock(kind: str) -> Maker:
    def make(maker: CardMaker, data: dict[str, Any]) -> Card:
        fields = (
            maker.field("gate", inert(data["gate"])),
            maker.field("operator", inert(data["by"])),
            maker.field("reason", inert(data.get("reason", ""), NOTE_CHARS)),
            maker.field("time", maker.when(data["at"])),
        )
        return Card(kind, maker.word(f"notify.{kind}"), fields, maker.word(f"notify.do.{kind}"),
                    urgent=kind == "lockdown")  # fmt: skip

    return make


def _test(maker: CardMaker, data: dict[str, Any]) -> Card:
    fields = (
        maker.field("channel", inert(data["channel"])),
        maker.field("time", maker.when(data["at"])),
    )
    return Card("test", maker.word("notify.test"), fields, maker.word("notify.do.test"))


_MAKERS: dict[str, Maker] = {
    "fever_alert": _fever,
    "escalation": _escalation,
    "symptoms": _symptoms,
    "checkin_reminder": _checkins,
    "walkin": _walkin,
    "incident": _incident,
    "lockdown": _lock("lockdown"),
    "release": _lock("release"),
    "test": _test,  # campusgate notify test
}
# Every kind of notice a chat group or phone may get; ``visitor_code`` is not one of
# them: a visitor's code is theirs alone (e-mail to the address they gave).
CARD_KINDS = frozenset(_MAKERS)
