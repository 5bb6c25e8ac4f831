"""What the web service tells operators: readiness checks and its Prometheus metrics.

Readiness: the database answers, the live feed is connected to the broker, the
signing keys (approvals issue signed visitor codes) are there.  Metrics, read at
scrape time: per gate from its retained status (online, outbox depth, each
device's state), open isolation cases, notifications that failed for good.
Gate and device names only: never a person (docs/operations.md, "Health and metrics").
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select, text

from kernel.codes.keys import active_kid
from kernel.observe import Check, Gauge, Registry
from kernel.observe.metrics import Sample
from schemas.messages import GateStatus
from services.storage.models import DeadLetterRow, IsolationCaseRow
from services.web.context import WebContext

DEVICE_STATES = ("ok", "degraded", "fault", "absent")


def readiness_checks(ctx: WebContext) -> dict[str, Check]:
    def database() -> str | None:
        with ctx.sessions() as session:
            session.execute(text("SELECT 1"))
        return None

    def broker() -> str | None:
        return None if ctx.feed.connected else "live feed not connected"

    def keys() -> str | None:
        active_kid(ctx.settings.web.keys_dir)
        return None

    return {"database": database, "broker": broker, "keys": keys}


def web_registry(ctx: WebContext) -> Registry:
    registry = Registry()

    def gates() -> list[tuple[str, GateStatus]]:
        return sorted((gate, known.status) for gate, known in ctx.feed.statuses().items())

    def online() -> Iterable[Sample]:
        return [((gate,), float(s.online)) for gate, s in gates()]

    def outbox() -> Iterable[Sample]:
        return [((gate,), float(s.outbox)) for gate, s in gates()]

    def devices() -> Iterable[Sample]:
        return [
            ((gate, device, state), float(health.state == state))
            for gate, s in gates()
            for device, health in s.devices.items()
            for state in DEVICE_STATES
        ]

    def open_cases() -> Iterable[Sample]:
        with ctx.sessions() as session:
            count = session.scalar(
                select(func.count())
                .select_from(IsolationCaseRow)
                .where(IsolationCaseRow.site == ctx.site, IsolationCaseRow.closed_at.is_(None))
            )
        return [((), float(count or 0))]

    def dead_letters() -> Iterable[Sample]:
        with ctx.sessions() as session:
            count = session.scalar(select(func.count()).select_from(DeadLetterRow))
        return [((), float(count or 0))]

    checks = readiness_checks(ctx)

    def ready() -> Iterable[Sample]:
        return [((name,), 0.0 if _fails(check) else 1.0) for name, check in checks.items()]

    for gauge in (
        Gauge("campusgate_gate_online", "1 while the gate's retained status says online",
              online, ["gate"]),
        Gauge("campusgate_gate_outbox", "passages the gate keeps, not yet answered",
              outbox, ["gate"]),
        Gauge("campusgate_gate_device_state", "1 for each gate device's current state",
              devices, ["gate", "device", "state"]),
        Gauge("campusgate_open_cases", "isolation cases not closed by the clinic", open_cases),
        Gauge("campusgate_notification_failures", "notifications given up after every retry",
              dead_letters),
        Gauge("campusgate_web_ready", "1 per readiness check that passes", ready, ["check"]),
    ):  # fmt: skip
        registry.add(gauge)
    return registry


def _fails(check: Check) -> bool:
    try:
        return check() is not None
    except Exception:
        return True
