"""Notices of what happens at a gate besides decisions: incidents, lockdowns and releases.

They go to the security office's channels (audience ``security``): its chat group,
e-mail, the webhook.  The chat and SMS cards are drawn from ``data``
(``services/web/notify/cards.py``); ``subject`` and ``text`` serve e-mail and the webhook.
"""

from __future__ import annotations

from services.web.api.models import CommandView
from services.web.gates.lane_health import IncidentView
from services.web.notify.channels import Notice

LOCK_COMMANDS = frozenset({"lockdown", "release"})


def incident_notice(view: IncidentView) -> Notice:
    """An incident recorded at the lane (refused instructions, forced entry, other)."""
    return Notice(
        notice_id=f"incident-{view.id}",
        kind="incident",
        audience="security",
        subject=f"[campusgate] 门岗事件 Incident at {view.gate}: {view.kind}",
        text=(
            f"门岗 {view.gate} 登记事件：{view.kind}（{view.by}）。{view.note}\n"
            f"Incident at gate {view.gate}: {view.kind} (by {view.by}). {view.note}"
        ),
        data={"type": "incident", **view.model_dump(mode="json")},
    )


def lock_notice(view: CommandView) -> Notice:
    """A gate locked down or released from the office."""
    zh = "门岗封闭" if view.command == "lockdown" else "门岗解除封闭"
    return Notice(
        notice_id=f"{view.command}-{view.command_id}",
        kind=view.command,
        audience="security",
        subject=f"[campusgate] {zh} Gate {view.gate}: {view.command}",
        text=(
            f"{zh}：{view.gate}（{view.issued_by}：{view.reason}）\n"
            f"Gate {view.gate}: {view.command} by {view.issued_by} ({view.reason})"
        ),
        data={
            "type": view.command,
            "gate": view.gate,
            "by": view.issued_by,
            "reason": view.reason,
            "at": view.at.isoformat(),
            "command_id": view.command_id,
        },
    )
