"""Keys change while the central runs: the real worker, the real broker, the real CLI.

Issue 14, High 4: a key made with ``campusgate keys new`` was refused until a
restart, and a retired key kept verifying.  Also the ``site`` claim: a code made
for another site is refused, one made before the claim existed still passes.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kernel.codes import KEYS_RELOAD_S, issue_code, load_signing_key
from kernel.codes.keys import SigningKey
from schemas.messages import Decision
from services.broker_admin.local_broker import LocalBroker
from services.central.app import build_worker
from services.central.settings import CentralSettings, DbSettings, MqttSettings
from services.central.worker import CentralWorker
from services.cli.main import main as campusgate
from tests.fixtures.campus import Campus, make_campus
from tests.fixtures.gate_client import DecisionClient
from tests.fixtures.passages import passage

pytestmark = pytest.mark.mqtt

# The reload runs between batches once its interval has passed; one more interval
# of slack for a loaded machine.
IN_FORCE_WITHIN_S = 2 * KEYS_RELOAD_S + 1.0


@pytest.fixture
def campus(sqlite_url: str, tmp_path: Path, site: str) -> Campus:
    return make_campus(sqlite_url, tmp_path / "keys", site=site)


@pytest.fixture
def worker(
    broker: LocalBroker, sqlite_url: str, campus: Campus, site: str
) -> Iterator[CentralWorker]:
    settings = CentralSettings(
        site=site, mqtt=MqttSettings(url=broker.url), db=DbSettings(url=sqlite_url),
        keys_dir=campus.keys_dir,
    )  # fmt: skip
    central = build_worker(settings)
    central.start()
    yield central
    central.stop()


@pytest.fixture
def gate(broker: LocalBroker, site: str) -> Iterator[DecisionClient]:
    client = DecisionClient(broker.url, site=site).connect()
    yield client
    client.close()


def decide(gate: DecisionClient, site: str, code: str) -> Decision:
    decision = gate.request(passage(site, code))
    assert decision is not None, "the central did not answer"
    return decision


def answer_within(
    gate: DecisionClient, site: str, code: str, wanted: str, seconds: float
) -> tuple[Decision, float]:
    """Pass with ``code`` again and again until the outcome is ``wanted`` or time is up."""
    started = time.monotonic()
    while True:
        decision = decide(gate, site, code)
        waited = time.monotonic() - started
        if decision.decision == wanted or waited > seconds:
            return decision, waited
        time.sleep(0.05)


def keys(*args: str) -> None:
    assert campusgate(["keys", *args]) == 0


def test_a_key_made_while_the_central_runs_verifies_within_the_reload_interval(
    worker: CentralWorker, gate: DecisionClient, campus: Campus, site: str
) -> None:
    alice = campus.people[0].person_id
    assert decide(gate, site, campus.code(alice)).decision == "admit"
    keys("new", "--dir", str(campus.keys_dir))
    new = load_signing_key(campus.keys_dir)
    assert new.kid != campus.key.kid
    code = issue_code(new, subject=alice, typ="id", ttl=timedelta(hours=1),
                      now=datetime.now(UTC), site=site)  # fmt: skip
    decision, waited = answer_within(gate, site, code, "admit", IN_FORCE_WITHIN_S)
    assert (decision.decision, decision.reasons) == ("admit", []), f"after {waited:.1f} s"
    # The old key still verifies: rotation keeps its codes valid until it is retired.
    assert decide(gate, site, campus.code(alice)).decision == "admit"


def test_a_retired_key_stops_verifying_within_the_reload_interval(
    worker: CentralWorker, gate: DecisionClient, campus: Campus, site: str, sqlite_url: str
) -> None:
    bob = campus.people[1].person_id
    old_code = campus.code(bob, ttl=timedelta(days=30))
    assert decide(gate, site, old_code).decision == "admit"  # remembered by the checker too
    keys("new", "--dir", str(campus.keys_dir))
    keys("retire", "--db", sqlite_url, "--dir", str(campus.keys_dir), "--kid", campus.key.kid)
    decision, waited = answer_within(gate, site, old_code, "deny", IN_FORCE_WITHIN_S)
    assert (decision.decision, decision.reasons) == ("deny", ["invalid_code", "not_whitelisted"]), (
        f"a retired key's code still admitted {waited:.1f} s after keys retire"
    )
    new = issue_code(load_signing_key(campus.keys_dir), subject=bob, typ="id",
                     ttl=timedelta(hours=1), now=datetime.now(UTC), site=site)  # fmt: skip
    assert decide(gate, site, new).decision == "admit"


def test_a_scheduled_retirement_ends_the_keys_codes_at_its_time(
    worker: CentralWorker, gate: DecisionClient, campus: Campus, site: str, sqlite_url: str
) -> None:
    carol = campus.people[2].person_id
    old_code = campus.code(carol, ttl=timedelta(days=30))
    keys("new", "--dir", str(campus.keys_dir))
    keys("retire", "--db", sqlite_url, "--dir", str(campus.keys_dir), "--kid", campus.key.kid,
         "--in", "3s")  # fmt: skip
    retires_at = time.monotonic() + 3
    assert decide(gate, site, old_code).decision == "admit"  # not yet
    decision, _ = answer_within(gate, site, old_code, "deny", 3 + IN_FORCE_WITHIN_S)
    assert (decision.decision, decision.reasons) == ("deny", ["invalid_code", "not_whitelisted"])
    assert time.monotonic() >= retires_at - 0.5  # not before its time (to the second)
    assert not (campus.keys_dir / f"{campus.key.kid}.key").exists()  # it signs nothing more


def test_a_code_of_another_site_is_refused_and_one_without_the_claim_passes(
    worker: CentralWorker, gate: DecisionClient, campus: Campus, site: str
) -> None:
    dave = campus.people[3].person_id
    key: SigningKey = campus.key
    now = datetime.now(UTC)
    elsewhere = issue_code(key, subject=dave, typ="id", ttl=timedelta(hours=1), now=now,
                           site="east-campus")  # fmt: skip
    decision = decide(gate, site, elsewhere)
    assert (decision.decision, decision.reasons) == ("deny", ["invalid_code", "not_whitelisted"])
    # Printed before the claim existed: valid until it expires (or its key is retired).
    legacy = issue_code(key, subject=dave, typ="id", ttl=timedelta(hours=1), now=now, site=None)
    assert decide(gate, site, legacy).decision == "admit"
    assert decide(gate, site, campus.code(dave)).decision == "admit"
