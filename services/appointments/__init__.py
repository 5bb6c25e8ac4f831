"""Visitor appointments with host-unit approval (谁审核谁负责) and time-window visitor codes."""

from services.appointments.service import (
    Appointment,
    AppointmentRequest,
    Approval,
    add_approver,
    approve,
    approvers,
    cancel,
    get_appointment,
    list_appointments,
    refuse,
    remove_approver,
    request_appointment,
)

__all__ = [
    "Appointment",
    "AppointmentRequest",
    "Approval",
    "add_approver",
    "approve",
    "approvers",
    "cancel",
    "get_appointment",
    "list_appointments",
    "refuse",
    "remove_approver",
    "request_appointment",
]
