"""Each account's topic rights, built from :mod:`schemas.topics`, and the Mosquitto ACL file.

Mosquitto denies every topic an ACL file does not grant.  It accepts any
SUBSCRIBE but checks ``read`` on every message it would deliver, and answers a
denied QoS 1 PUBLISH with PUBACK "Not authorized" and drops it.

- gate G of site S: writes only its own passage, status (retained, and its last
  will) and reading topics; reads only its own decision and command topics and
  the site's policy.
- central: reads every passage (on the shared subscription) and every status;
  writes decisions, commands, fever alerts and the retained policy.
- web: reads decisions, status, readings, fever alerts and the policy; writes
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
    site_topic,
)
from services.broker_admin.inventory import Account, Role

Access = Literal["read", "write", "readwrite"]


@dataclass(frozen=True, slots=True)
class Grant:
    access: Access
    topic: str  # a topic or a filter with + / #


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
        Grant("write", gate_filter(site, GateChannel.COMMAND)),
        Grant("write", gate_filter(site, GateChannel.PASSAGE)),
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


def render_acl(accounts: list[Account]) -> str:
    """The Mosquitto ACL file: a ``user`` block per account, nothing for anyone else."""
    blocks = ["# written by campusgate broker config: edit the gates file and re-run instead\n"]
    for account in accounts:
        where = f"gate {account.sites[0]}/{account.gate}" if account.gate else account.role
        lines = [f"# {where}", f"user {account.user}"]
        lines += [f"topic {g.access} {g.topic}" for g in grants(account)]
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)
