"""The guard's console (``campusgate gate --console``): what a guard reads at the lane.

Every line is in the console's language (``--lang``, default the site's) and every
time on the site's clock with its offset (``kernel.localtime.local_iso``): a line per
decision, the answers to the guard's commands, and a line whenever a device's state
changes (a thermometer fault, a relay back to ok).  The words are the one catalogue's
(``ui.i18n``, ``con.*``); reasons are words, never codes.
"""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, TextIO
from zoneinfo import ZoneInfo

from gateway.agent.handheld import Choice
from kernel.localtime import local_iso, site_zone
from schemas.messages import Decision, GateStatus
from ui.i18n import Lang, reasons_text, site_lang, t, word

if TYPE_CHECKING:
    from gateway.agent.agent import GateAgent

SCREENING_CHOICES: dict[str, Choice] = {"on": "handheld", "off": "thermometer", "auto": "auto"}


class Console:
    """The console's words and clock; ``watch`` reports device changes on ``out``."""

    def __init__(
        self, lang: Lang | None = None, tz: ZoneInfo | None = None, out: TextIO | None = None
    ) -> None:
        self.lang: Lang = lang or site_lang()
        self.tz = tz or site_zone()
        self.out = out
        self._states: dict[str, str] = {}
        self._mode: str | None = None

    def say(self, key: str, /, **values: object) -> str:
        return t(self.lang, key, **values)

    @property
    def help(self) -> str:
        return self.say("con.help")

    def decision_line(self, decision: Decision) -> str:
        """One line per person for the guard: when, outcome, who, temperature, why."""
        who = self.say("person.unknown")
        if decision.person is not None:
            p = decision.person
            who = self.say("con.person", name=p.name, kind=word(self.lang, "kind", p.kind),
                           masked=p.masked_id)  # fmt: skip
        celsius = (
            self.say("con.celsius", celsius=decision.celsius)
            if decision.celsius is not None
            else self.say("con.no_temperature")
        )
        case = self.say("con.case", case=decision.case_id) if decision.case_id else ""
        return self.say(
            "con.decision", at=local_iso(decision.decided_at, self.tz),
            decision=self.say(f"decision.{decision.decision}"), who=who, celsius=celsius,
            reasons=reasons_text(self.lang, decision.reasons) or self.say("con.ok"),
            case=case, event=decision.event_id,
        )  # fmt: skip

    def command(self, agent: GateAgent, line: str) -> str:
        """Carry out one console line; returns what to tell the guard."""
        match line.split():
            case []:
                return ""
            case ["nomask"]:
                agent.mark_no_mask()
                return self.say("con.nomask")
            case ["recheck", event_id, celsius]:
                try:
                    agent.remeasure(uuid.UUID(event_id), Decimal(celsius))
                except (ValueError, InvalidOperation):
                    return self.say("con.bad_recheck", event=repr(event_id),
                                    celsius=repr(celsius), help=self.help)  # fmt: skip
                return self.say("con.recheck_sent", event=event_id)
            case ["temp", celsius]:
                try:
                    agent.typed_temperature(celsius)
                except ValueError as exc:
                    return self.say("con.bad_temp", error=exc, help=self.help)
                return self.say("con.temp", celsius=celsius)
            case ["handheld", choice] if choice in SCREENING_CHOICES:
                agent.choose_screening(SCREENING_CHOICES[choice])
                mode = self.say(f"screening.{SCREENING_CHOICES[choice]}")
                return self.say("con.screening", mode=mode)
            case ["vehicle", plate, occupants] if occupants.isdigit():
                agent.begin_vehicle(plate, int(occupants))
                return self.say("con.vehicle", plate=plate, n=occupants)
            case ["status"]:
                return "; ".join(
                    self.say("con.device", device=self.device(name),
                             state=self.say(f"device.{d.state}"), detail=d.detail).strip()
                    for name, d in agent.devices().items()
                )  # fmt: skip
        return self.help

    def device(self, name: str) -> str:
        return word(self.lang, "con.device", name)

    def watch(self, status: GateStatus) -> None:
        """A line for each device whose state changed, and for the gate's mode (not the first)."""
        at = local_iso(status.ts, self.tz)
        for name, health in status.devices.items():
            before = self._states.get(name)
            self._states[name] = health.state
            if before is not None and before != health.state and self.out is not None:
                line = self.say(
                    "con.device_changed",
                    at=at,
                    device=self.device(name),
                    state=self.say(f"device.{health.state}"),
                    detail=health.detail,
                )
                print(line.rstrip(), file=self.out, flush=True)  # fmt: skip
        if self._mode is not None and self._mode != status.mode and self.out is not None:
            print(self.say("con.mode", at=at, mode=self.say(f"gate.{status.mode}")),
                  file=self.out, flush=True)  # fmt: skip
        self._mode = status.mode
