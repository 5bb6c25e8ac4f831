"""Roles and what each may do; a guard is further bound to its gates.

admin     users, dead letters, every page read-only, gate commands, audit, and the
          administration: appointments, policy and response levels; reports
security  the dashboard, every gate read-only, gate commands, cases read-only, reports
guard     the kiosk of its own gates: view, re-measure, no mask, override
clinic    the clinic page: cases, acknowledge, re-measure, close
auditor   every page read-only (dashboard, gates, cases), audit queries and exports, reports
approver  the unit page: decide the visitors and walk-ins of the units it approves for
          (which units: ``unit_approvers``, kept by administrators; 谁审核谁负责)
unit_officer  a unit's 信息员: its unit's people, appointments and today's entries, read-only;
          enters its unit's daily check-ins (晨午检) (which unit: ``unit_officers``)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from kernel.masking import Masker
from services.web.errors import Forbidden
from ui.i18n import Lang


class Role(StrEnum):
    ADMIN = "admin"
    SECURITY = "security"
    GUARD = "guard"
    CLINIC = "clinic"
    AUDITOR = "auditor"
    APPROVER = "approver"
    UNIT_OFFICER = "unit_officer"


class Permission(StrEnum):
    GATE_VIEW = "gate.view"  # a gate's state and recent passages (scoped for guards)
    GATE_LANE = "gate.lane"  # kiosk actions at the lane (scoped): re-measure, no mask, override
    GATE_COMMAND = "gate.command"  # lockdown / release / open / sync from the office
    DASHBOARD_VIEW = "dashboard.view"
    CASE_VIEW = "case.view"
    CASE_ACT = "case.act"  # acknowledge, record the clinical reading, close
    USER_MANAGE = "user.manage"  # users, and the notifications that failed
    AUDIT_VIEW = "audit.view"  # histories, explanations, contact traces, exports (all logged)
    ADMINISTER = "admin.manage"  # appointments (approving: approvers only), policy levels
    REPORT_VIEW = "report.view"  # the daily report (counts only, no names)
    UNIT_VIEW = "unit.view"  # one's own units' people, appointments, today's entries (scoped)
    UNIT_DECIDE = "unit.decide"  # approve or refuse one's own units' visitors (scoped)
    CHECKIN_UNIT = "checkin.unit"  # enter and read one's own units' daily check-ins (scoped)


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(
        {
            Permission.GATE_VIEW,
            Permission.GATE_COMMAND,
            Permission.DASHBOARD_VIEW,
            Permission.CASE_VIEW,
            Permission.USER_MANAGE,
            Permission.AUDIT_VIEW,
            Permission.ADMINISTER,
            Permission.REPORT_VIEW,
        }
    ),
    Role.SECURITY: frozenset(
        {
            Permission.GATE_VIEW,
            Permission.GATE_COMMAND,
            Permission.DASHBOARD_VIEW,
            Permission.CASE_VIEW,
            Permission.REPORT_VIEW,
        }
    ),
    Role.GUARD: frozenset({Permission.GATE_VIEW, Permission.GATE_LANE}),
    Role.CLINIC: frozenset({Permission.CASE_VIEW, Permission.CASE_ACT}),
    Role.AUDITOR: frozenset(
        {
            Permission.GATE_VIEW,
            Permission.DASHBOARD_VIEW,
            Permission.CASE_VIEW,
            Permission.AUDIT_VIEW,
            Permission.REPORT_VIEW,
        }
    ),
    Role.APPROVER: frozenset({Permission.UNIT_VIEW, Permission.UNIT_DECIDE}),
    Role.UNIT_OFFICER: frozenset({Permission.UNIT_VIEW, Permission.CHECKIN_UNIT}),
}
GATE_SCOPED = frozenset({Permission.GATE_VIEW, Permission.GATE_LANE})


@dataclass(frozen=True, slots=True)
class Principal:
    """The signed-in user of one request."""

    user_id: int
    username: str
    role: Role
    gates: frozenset[str]
    lang: Lang
    csrf_token: str

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]

    def can_gate(self, permission: Permission, gate: str) -> bool:
        if not self.can(permission):
            return False
        return self.role is not Role.GUARD or gate in self.gates

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise Forbidden("forbidden", f"{self.role} may not {permission}")

    def require_gate(self, permission: Permission, gate: str) -> None:
        self.require(permission)
        if not self.can_gate(permission, gate):
            raise Forbidden("forbidden_gate", f"{self.username} is not bound to gate {gate}")

    def masker(self) -> Masker:
        """What this role may see of names, phone numbers and person ids."""
        return Masker(self.role.value)

    def visible_gates(self, gates: set[str] | frozenset[str]) -> list[str]:
        return sorted(g for g in gates if self.can_gate(Permission.GATE_VIEW, g))
