"""The one place where MQTT topics are built and parsed (wire contract v1).

Topics are small frozen value objects that validate themselves.  Filters with
``+``/``#`` wildcards are built here too, and :func:`matches` implements MQTT
matching so routing can be tested without a broker.

    campusgate/v1/{site}/gate/{gate}/{passage|decision|status|command|reading}
    campusgate/v1/{site}/alert/fever
    campusgate/v1/{site}/policy
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from schemas.names import is_valid_name

ROOT = "campusgate/v1"
SHARED_GROUP = "central"


class TopicError(ValueError):
    """A topic string or a site/gate name that does not follow the contract."""


class GateChannel(StrEnum):
    PASSAGE = "passage"
    DECISION = "decision"
    STATUS = "status"
    COMMAND = "command"
    READING = "reading"
    # central -> gate, retained: the gate's whitelist snapshot (schemas/snapshot.py)
    SNAPSHOT = "snapshot"


class SiteChannel(StrEnum):
    FEVER_ALERT = "alert/fever"
    POLICY = "policy"


def _check_name(what: str, value: str) -> None:
    if not is_valid_name(value):
        raise TopicError(f"invalid {what} name {value!r}: must match [a-z0-9][a-z0-9-]{{0,31}}")


@dataclass(frozen=True, slots=True)
class GateTopic:
    """A topic of one gate, e.g. ``campusgate/v1/main/gate/north-1/passage``."""

    site: str
    gate: str
    channel: GateChannel

    def __post_init__(self) -> None:
        _check_name("site", self.site)
        _check_name("gate", self.gate)

    def __str__(self) -> str:
        return f"{ROOT}/{self.site}/gate/{self.gate}/{self.channel.value}"


@dataclass(frozen=True, slots=True)
class SiteTopic:
    """A site-wide topic, e.g. ``campusgate/v1/main/alert/fever``."""

    site: str
    channel: SiteChannel

    def __post_init__(self) -> None:
        _check_name("site", self.site)

    def __str__(self) -> str:
        return f"{ROOT}/{self.site}/{self.channel.value}"


Topic = GateTopic | SiteTopic


def gate_topic(site: str, gate: str, channel: GateChannel) -> str:
    return str(GateTopic(site, gate, channel))


def site_topic(site: str, channel: SiteChannel) -> str:
    return str(SiteTopic(site, channel))


def parse(topic: str) -> Topic:
    """Parse a concrete topic; raise :class:`TopicError` for anything else."""
    if len(topic) > 256:
        raise TopicError("topic too long")
    prefix = ROOT + "/"
    if not topic.startswith(prefix):
        raise TopicError(f"topic {topic[:80]!r} is not under {ROOT}/")
    parts = topic[len(prefix) :].split("/")
    try:
        if len(parts) == 4 and parts[1] == "gate":
            return GateTopic(parts[0], parts[2], GateChannel(parts[3]))
        if len(parts) >= 2:
            return SiteTopic(parts[0], SiteChannel("/".join(parts[1:])))
    except ValueError as exc:
        raise TopicError(f"unknown topic {topic[:80]!r}: {exc}") from exc
    raise TopicError(f"unknown topic {topic[:80]!r}")


def gate_filter(site: str | None, channel: GateChannel, gate: str | None = None) -> str:
    """Filter for one channel of one or all gates of one or all sites (``+``)."""
    if site is not None:
        _check_name("site", site)
    if gate is not None:
        _check_name("gate", gate)
    return f"{ROOT}/{site or '+'}/gate/{gate or '+'}/{channel.value}"


def site_filter(site: str | None, channel: SiteChannel) -> str:
    if site is not None:
        _check_name("site", site)
    return f"{ROOT}/{site or '+'}/{channel.value}"


def everything(site: str | None = None) -> str:
    """Filter for every campusgate topic of a site (or of all sites)."""
    if site is None:
        return f"{ROOT}/#"
    _check_name("site", site)
    return f"{ROOT}/{site}/#"


def shared(filter_: str, group: str = SHARED_GROUP) -> str:
    """An MQTT 5 shared subscription so several central workers split the load."""
    _check_name("share group", group)
    return f"$share/{group}/{filter_}"


def matches(filter_: str, topic: str) -> bool:
    """MQTT topic matching of ``filter_`` (with ``+`` and ``#``) against ``topic``."""
    if filter_.startswith("$share/"):
        filter_ = filter_.split("/", 2)[2]
    if topic.startswith("$") and not filter_.startswith("$"):
        return False
    f_parts = filter_.split("/")
    t_parts = topic.split("/")
    for index, part in enumerate(f_parts):
        if part == "#":
            return index == len(f_parts) - 1
        if index >= len(t_parts):
            return False
        if part not in ("+", t_parts[index]):
            return False
    return len(f_parts) == len(t_parts)
