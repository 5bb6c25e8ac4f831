"""Issue 17, done when: a fever to observation to release, through every real part.

The real central worker (a process), a real gate lane, the web service and the
clinic page in Chromium.  Under observation the person stays isolated at the gate,
decided by the central worker and, with the broker killed, by the gate's own
snapshot; only the clinician's release lets them in again, online and offline.
"""

from __future__ import annotations

import signal
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from schemas.messages import Decision
from services.broker_admin.local_broker import LocalBroker
from tests.fixtures.browser import sign_in
from tests.fixtures.campus import Campus, long_lived
from tests.fixtures.lanes import StartLane
from tests.fixtures.processes import Processes
from tests.fixtures.simulated_gate import Lane, check_exactly_once
from tests.fixtures.web_server import WebServer

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]

GATE = "north-1"
INDEX = 5  # the campus person who runs a fever


def decision_of(lane: Lane, event_id: uuid.UUID) -> Decision:
    found: list[Decision] = []

    def answered() -> bool:
        found[:] = [d for d in lane.decisions if d.event_id == event_id]
        return bool(found)

    lane.wait_for(answered)
    return found[-1]


def held_case(lane: Lane, person_id: str) -> str | None:
    held = lane.agent.snapshots.current if lane.agent.snapshots else None
    assert held is not None
    return next((p.open_case_id for p in held.snapshot.persons if p.id == person_id), None)


def test_fever_to_observation_stays_isolated_online_and_offline_until_released(
    users: str,
    campus: Campus,
    own_broker: LocalBroker,
    start_lane: StartLane,
    site: str,
    processes: Processes,
    make_server: Callable[..., WebServer],
    new_page: Any,
    tmp_path: Path,
) -> None:
    processes.central_for(own_broker.url, users, campus, site, tmp_path / "central.log")
    lane = start_lane(own_broker.url, gate=GATE, site_keys=campus.keys_dir)
    web = make_server(users)
    lane.wait_snapshot()
    person, code = campus.people[INDEX], long_lived(campus, INDEX)

    fever = lane.person(code, celsius="38.2", expect="isolate")
    case_id = decision_of(lane, fever.event_id).case_id
    assert case_id is not None

    # The clinic works the case: acknowledge, re-measure (normal now), observation room.
    page = new_page(1366, 768)
    sign_in(page, web, "nurse", "/clinic")
    row = page.locator(f"#case-rows tr[data-case-id='{case_id}']")
    expect(row).to_contain_text(person.name)
    row.locator("button.ack").click()
    expect(row).to_contain_text("nurse")
    row.locator("input.measure-input").fill("36.6")
    row.locator("button.measure").click()
    expect(row).to_contain_text("→ 36.6 °C")
    row.locator("select.step-select").select_option("observe")
    row.locator("input.room").fill("R3")
    row.locator("input.until").fill("2099-12-20T08:00")
    row.locator("button.apply").click()
    expect(row).to_contain_text("隔离观察中")

    # Online: the central worker still isolates them, the same case.
    online = lane.person(code, celsius="36.5", expect="isolate")
    answer = decision_of(lane, online.event_id)
    assert (answer.decision, answer.reasons, answer.case_id) == (
        "isolate", ["isolation_pending"], case_id
    )  # fmt: skip
    assert lane.agent.stats.local_decisions == 0

    # Offline: the broker dies; the gate decides on its snapshot, which holds the case.
    lane.wait_for(lambda: held_case(lane, person.person_id) == case_id)
    own_broker.stop(signal.SIGKILL)
    offline = lane.person(code, celsius="36.5", expect="isolate")
    answer = decision_of(lane, offline.event_id)
    assert (answer.decision, answer.reasons) == ("isolate", ["isolation_pending"])
    assert lane.agent.stats.local_decisions == 1
    own_broker.start()
    lane.wait_drained()

    # The clinician releases; only now are they admitted, online and then offline too.
    row.locator("select.step-select").select_option("release")
    row.locator("input.reason").fill("observation over, no fever")
    row.locator("button.apply").click()
    expect(row).to_contain_text("已解除隔离 · nurse")
    back = lane.person(code, celsius="36.5", expect="admit")
    assert decision_of(lane, back.event_id).decision == "admit"
    lane.wait_for(lambda: held_case(lane, person.person_id) is None)
    own_broker.stop(signal.SIGKILL)
    offline_back = lane.person(code, celsius="36.5", expect="admit")
    assert decision_of(lane, offline_back.event_id).decision == "admit"
    assert lane.agent.stats.local_decisions == 2
    own_broker.start()
    lane.wait_drained()
    assert check_exactly_once(users, [lane]) == 5
