"""A gate's key set comes with its signed snapshot: the real publisher, broker and gate agent.

Issue 14: keys made or retired while everything runs reach the gates with their
next snapshot, and the offline decider verifies codes with exactly that set; a
snapshot that is unsigned or signed by a key the gate does not trust is refused,
the old one stays, and the gate's status says so.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kernel.codes import issue_code, load_signing_key, new_key
from kernel.codes.keys import signing_keys
from kernel.codes.snapshots import snapshot_signer
from schemas.messages import Decision
from schemas.snapshot import SnapshotPerson, encode
from schemas.topics import GateChannel, gate_topic
from services.broker_admin.local_broker import LocalBroker
from services.cli.main import main as campusgate
from services.snapshot.publisher import SnapshotPublisher
from tests.fixtures.campus import Campus, make_campus
from tests.fixtures.simulated_gate import Lane, make_lane
from tests.fixtures.snapshots import StartPublisher

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]

GATE = "north-1"


@pytest.fixture
def campus(sqlite_url: str, tmp_path: Path, site: str) -> Campus:
    return make_campus(sqlite_url, tmp_path / "keys", site=site)


@pytest.fixture
def publisher(start_publisher: StartPublisher) -> SnapshotPublisher:
    return start_publisher(policy_version=3)


@pytest.fixture
def lane(own_broker: LocalBroker, site: str, campus: Campus, tmp_path: Path) -> Iterator[Lane]:
    """A gate configured with the site's public key as it was installed (the first key only)."""
    gate_keys = tmp_path / "gate" / "site-keys"
    assert (
        campusgate(["keys", "export", "--dir", str(campus.keys_dir), "--out", str(gate_keys)]) == 0
    )
    running = make_lane(
        own_broker.url, site=site, gate=GATE, workdir=tmp_path / "gate", site_keys=gate_keys
    )
    running.agent.start()
    yield running
    running.agent.stop()


def held_keys(lane: Lane) -> set[str]:
    store = lane.agent.snapshots
    assert store is not None
    assert store.current is not None
    return set(store.current.snapshot.keys)


def offline(lane: Lane, code: str, *, expect: str) -> Decision:
    """One person at the lane while the central side is away: the gate decides itself."""
    passage = lane.person(code, expect=expect)
    found: list[Decision] = []

    def decided() -> bool:
        found[:] = [d for d in lane.decisions if d.event_id == passage.event_id]
        return bool(found)

    lane.wait_for(decided)
    return found[0]


def test_keys_reach_the_gate_with_its_snapshot_and_decide_offline(
    publisher: SnapshotPublisher,
    lane: Lane,
    own_broker: LocalBroker,
    campus: Campus,
    site: str,
    sqlite_url: str,
) -> None:
    first = campus.key.kid
    lane.wait_snapshot()
    assert held_keys(lane) == {first}
    assert campusgate(["keys", "new", "--dir", str(campus.keys_dir)]) == 0
    second = load_signing_key(campus.keys_dir)
    lane.wait_for(lambda: held_keys(lane) == {first, second.kid})
    store = lane.agent.snapshots
    assert store is not None
    assert store.current is not None
    assert store.current.snapshot.keys_version == 2
    # The first key is retired: the snapshot now carries (and is signed by) the second
    # only, which the gate trusts because the snapshot it held carried it.
    assert (
        campusgate(
            ["keys", "retire", "--db", sqlite_url, "--dir", str(campus.keys_dir), "--kid", first]
        )
        == 0
    )
    lane.wait_for(lambda: held_keys(lane) == {second.kid})
    assert store.rejected == 0
    person = campus.people[4].person_id
    old_code = campus.code(person, ttl=timedelta(days=30))
    new_code = issue_code(second, subject=person, typ="id", ttl=timedelta(hours=1),
                          now=datetime.now(UTC), site=site)  # fmt: skip
    own_broker.stop(signal.SIGKILL)
    admitted = offline(lane, new_code, expect="admit")
    assert (admitted.decision, admitted.reasons) == ("admit", [])
    refused = offline(lane, old_code, expect="deny")
    assert refused.decision == "deny"
    assert "invalid_code" in refused.reasons
    assert lane.agent.stats.local_decisions >= 2


def test_a_forged_or_unsigned_snapshot_is_refused_and_the_gate_says_so(
    publisher: SnapshotPublisher,
    lane: Lane,
    own_broker: LocalBroker,
    campus: Campus,
    site: str,
    listen: object,
    tmp_path: Path,
) -> None:
    lane.wait_snapshot()
    store = lane.agent.snapshots
    assert store is not None
    assert store.current is not None
    genuine = store.current
    mallory = SnapshotPerson(id="mallory", name="Mallory", kind="staff", masked_id="***")
    forged = genuine.snapshot.model_copy(
        update={"version": genuine.snapshot.version + 1,
                "persons": [*genuine.snapshot.persons, mallory]}
    )  # fmt: skip
    attacker = new_key(tmp_path / "attacker")
    attacker_bus = listen(own_broker.url)  # type: ignore[operator]
    topic = gate_topic(site, GATE, GateChannel.SNAPSHOT)
    for signer, why in (
        (snapshot_signer([attacker]), "none of them a key this gate trusts"),
        (None, "not signed"),
    ):
        rejected = store.rejected
        attacker_bus.bus.publish(topic, encode(forged, signer)[0], qos=1, retain=True)
        lane.wait_for(lambda rejected=rejected: store.rejected > rejected)
        assert why in store.last_error
        assert store.current is genuine  # the old snapshot stays, whole
        health = lane.agent.devices()["snapshot"]
        assert (health.state, why in health.detail) == ("degraded", True)
    # Signed by a trusted key but altered afterwards: the signature no longer matches.
    envelope, _ = encode(forged, snapshot_signer(signing_keys(campus.keys_dir)))
    head, _, body = envelope.partition(b"\n")
    altered = head.replace(b'"version":', b'"version":1', 1) + b"\n" + body
    rejected = store.rejected
    attacker_bus.bus.publish(topic, altered, qos=1, retain=True)
    lane.wait_for(lambda: store.rejected > rejected)
    assert "is wrong" in store.last_error
    assert store.current is genuine
    assert "mallory" not in {p.id for p in store.current.snapshot.persons}
