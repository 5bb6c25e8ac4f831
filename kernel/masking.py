"""Names and numbers masked by role, on pages and in exports.

ID card numbers are never stored: only a keyed hash and the last four digits,
so every role sees ``**************1234``.  Names, phone numbers and person
ids (student and staff numbers) are shown in full only to the roles whose work
needs them; everyone else, and every report meant for circulation, gets a
masked form that still lets a reader tell rows apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

ID_NUMBER_WIDTH = 18


class Role(StrEnum):
    ADMIN = "admin"
    SECURITY = "security"
    GUARD = "guard"
    CLINIC = "clinic"
    AUDITOR = "auditor"
    APPROVER = "approver"  # a host unit's approver: calls the visitor back
    UNIT_OFFICER = "unit_officer"  # a unit's 信息员: its own people
    REPORT = "report"  # reports and exports circulated beyond the security office


@dataclass(frozen=True, slots=True)
class View:
    names: bool
    phones: bool
    person_ids: bool


VIEWS: dict[Role, View] = {
    Role.ADMIN: View(names=True, phones=True, person_ids=True),
    Role.SECURITY: View(names=True, phones=False, person_ids=True),
    Role.CLINIC: View(names=True, phones=True, person_ids=True),
    Role.AUDITOR: View(names=True, phones=False, person_ids=True),
    Role.GUARD: View(names=True, phones=False, person_ids=False),
    Role.APPROVER: View(names=True, phones=True, person_ids=False),
    Role.UNIT_OFFICER: View(names=True, phones=False, person_ids=True),
    Role.REPORT: View(names=False, phones=False, person_ids=False),
}


def mask_name(name: str) -> str:
    """王小明 -> 王**; Wang Wei -> W*** W**: the first letter of each part stays."""
    if not name:
        return name
    if " " not in name.strip():
        return name[0] + "*" * (len(name) - 1)
    return " ".join(p[0] + "*" * (len(p) - 1) if p else p for p in name.split(" "))


def mask_phone(phone: str) -> str:
    """13812345678 -> 138****5678."""
    digits = phone.strip()
    if len(digits) <= 4:
        return "*" * len(digits)
    if len(digits) < 8:
        return "*" * (len(digits) - 4) + digits[-4:]
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_person_id(person_id: str) -> str:
    """2021001234 -> 20******34."""
    if len(person_id) <= 4:
        return person_id[0] + "*" * (len(person_id) - 1) if person_id else person_id
    return person_id[:2] + "*" * (len(person_id) - 4) + person_id[-2:]


def mask_id_number(last4: str) -> str:
    return "*" * (ID_NUMBER_WIDTH - len(last4)) + last4


class Masker:
    """Applies one role's view to values about to be shown or exported."""

    def __init__(self, role: Role | str) -> None:
        self.role = Role(role)
        self.view = VIEWS[self.role]

    def name(self, value: str | None) -> str | None:
        if value is None or self.view.names:
            return value
        return mask_name(value)

    def phone(self, value: str | None) -> str | None:
        if value is None or self.view.phones:
            return value
        return mask_phone(value)

    def person_id(self, value: str | None) -> str | None:
        if value is None or self.view.person_ids:
            return value
        return mask_person_id(value)
