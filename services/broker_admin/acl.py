"""Each account's topic rights, built from :mod:`schemas.topics`.

:mod:`.dynsec` turns them into the broker's rules; everything not granted here
is denied, subscribing included.

- gate G of site S: writes only its own passage, status (retained, and its last
  will) and reading topics; reads only its own decision, command and snapshot
  topics and the site's policy.  It may join no shared subscription.
- central: reads every passage and every status, and alone may join the
  central workers' shared subscription; writes decisions, commands, snapshots,
  fever alerts and the retained policy.
- web: reads passages, decisions, commands, status, readings, fever alerts and
  the policy (the live views show mask, sensor, direction and commands); writes
  commands (lockdown, open) and passages (a guard's manual re-measurement).
- admin: reads and writes everything of its sites (operators' diagnostics).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from schemas.topics import (
    GateChannel,
    SiteChannel,
    everything,
    gate_filter,
    gate_topic,
    shared,
    site_topic,
)
from services.broker_admin.inventory import Account, Role

# "share": may join this one shared subscription ($share/GROUP/filter), and nothing more.
Access = Literal["read", "write", "readwrite", "share"]


@dataclass(frozen=True, slots=True)
class Grant:
    access: Access
    topic: str  # a topic or a filter with + / #; for "share", the whole $share/... filter


def _gate_grants(site: str, gate: str) -> list[Grant]:
    own = [
        Grant("write", gate_topic(site, gate, GateChannel.PASSAGE)),
        Grant("write", gate_topic(site, gate, GateChannel.STATUS)),
        Grant("write", gate_topic(site, gate, GateChannel.READING)),
        Grant("read", gate_topic(site, gate, GateChannel.DECISION)),
        Grant("read", gate_topic(site, gate, GateChannel.COMMAND)),
        Grant("read", gate_topic(site, gate, GateChannel.SNAPSHOT)),
        Grant("read", gate_topic(site, gate, GateChannel.SNAPSHOT_DELTA)),
    ]
    return [*own, Grant("read", site_topic(site, SiteChannel.POLICY))]


def _central_grants(site: str) -> list[Grant]:
    return [
        Grant("share", shared(gate_filter(site, GateChannel.PASSAGE))),
        Grant("read", gate_filter(site, GateChannel.PASSAGE)),
        Grant("read", gate_filter(site, GateChannel.STATUS)),
        Grant("write", gate_filter(site, GateChannel.DECISION)),
        Grant("write", gate_filter(site, GateChannel.COMMAND)),
        Grant("write", gate_filter(site, GateChannel.SNAPSHOT)),
        Grant("write", gate_filter(site, GateChannel.SNAPSHOT_DELTA)),
        Grant("write", site_topic(site, SiteChannel.FEVER_ALERT)),
        Grant("write", site_topic(site, SiteChannel.POLICY)),
    ]


def _web_grants(site: str) -> list[Grant]:
    return [
        Grant("read", gate_filter(site, GateChannel.DECISION)),
        Grant("read", gate_filter(site, GateChannel.STATUS)),
        Grant("read", gate_filter(site, GateChannel.READING)),
        Grant("read", site_topic(site, SiteChannel.FEVER_ALERT)),
        Grant("read", site_topic(site, SiteChannel.POLICY)),
        # The live views join each decision with its passage (mask, sensor, direction)
        # and show commands as they are given, whoever gave them.
        Grant("readwrite", gate_filter(site, GateChannel.COMMAND)),
        Grant("readwrite", gate_filter(site, GateChannel.PASSAGE)),
    ]


def grants(account: Account) -> list[Grant]:
    """Everything ``account`` may read or write; nothing else is allowed."""
    if account.role is Role.GATE:
        assert account.gate is not None
        return _gate_grants(account.sites[0], account.gate)
    result: list[Grant] = []
    for site in account.sites:
        if account.role is Role.CENTRAL:
            result += _central_grants(site)
        elif account.role is Role.WEB:
            result += _web_grants(site)
        else:
            result.append(Grant("readwrite", everything(site)))
    return result
