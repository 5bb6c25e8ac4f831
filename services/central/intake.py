"""Turning raw MQTT messages into Passages, or into rejections with a reason.

Pure: no I/O.  A message is rejected when it is too large, not UTF-8 JSON, not a
valid Passage, or when its payload's site/gate disagree with its topic.  Where
an ``event_id`` and a gate can still be read, the rejection carries them so the
gate gets a ``deny`` with reason ``malformed`` instead of waiting for nothing.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from pydantic import ValidationError

from schemas.messages import Passage
from schemas.topics import GateChannel, GateTopic, TopicError, parse

MAX_PAYLOAD_BYTES = 64 * 1024
MAX_REASON_CHARS = 500


@dataclass(frozen=True, slots=True)
class Rejection:
    """A message that will be kept raw in rejected_messages and, if possible, answered."""

    reason: str
    event_id: uuid.UUID | None = None
    site: str | None = None
    gate: str | None = None


def _reason(text: str) -> str:
    return text if len(text) <= MAX_REASON_CHARS else text[: MAX_REASON_CHARS - 3] + "..."


def _readable_event_id(payload: bytes) -> uuid.UUID | None:
    try:
        document = json.loads(payload)
        return uuid.UUID(str(document["event_id"]))
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
        return None


def read_passage(topic: str, payload: bytes, *, site: str | None = None) -> Passage | Rejection:
    """Parse one message from a passage topic; never raises."""
    try:
        parsed = parse(topic)
    except TopicError as exc:
        return Rejection(reason=_reason(f"bad topic: {exc}"))
    if not isinstance(parsed, GateTopic) or parsed.channel is not GateChannel.PASSAGE:
        return Rejection(reason="not a passage topic")
    if site is not None and parsed.site != site:
        return Rejection(reason=f"site {parsed.site!r} is not served here")
    reply = {"site": parsed.site, "gate": parsed.gate}
    if len(payload) > MAX_PAYLOAD_BYTES:
        return Rejection(reason=f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD_BYTES}")
    try:
        passage = Passage.model_validate_json(payload)
    except ValidationError as exc:
        errors = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'payload'}: {e['msg']}"
            for e in exc.errors(include_url=False)[:5]
        )
        return Rejection(reason=_reason(f"invalid passage: {errors}"),
                         event_id=_readable_event_id(payload), **reply)  # fmt: skip
    if passage.site != parsed.site or passage.gate != parsed.gate:
        return Rejection(
            reason=f"payload says {passage.site}/{passage.gate}, topic says "
            f"{parsed.site}/{parsed.gate}",
            event_id=passage.event_id,
            **reply,
        )
    return passage
