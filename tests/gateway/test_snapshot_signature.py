"""Whom a gate trusts to sign its snapshot, across rotations, retirements and restarts."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from gateway.snapshot.local import LocalDecider
from gateway.snapshot.store import SnapshotStore
from kernel.clock import FixedClock
from kernel.codes import KeyRing, issue_code, new_key, retire_key
from kernel.codes.keys import SigningKey, export_public_keys, signing_keys
from kernel.codes.snapshots import snapshot_signer
from schemas.ids import uuid7
from schemas.messages import Credential, Passage, Temperature
from schemas.policy import Policy
from schemas.snapshot import GateSnapshot, SnapshotPerson, encode

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
GATE = "north-1"
ALICE = SnapshotPerson(id="2021001", name="Alice", kind="staff", masked_id="***1234")


def snapshot(keys: Path, version: int, **changes: object) -> GateSnapshot:
    ring = KeyRing.load(keys)
    fields: dict[str, object] = {
        "site": "main", "gate": GATE, "version": version, "built_at": NOW,
        "policy": Policy(site="main"), "keys": ring.public_keys(NOW),
        "key_retires": ring.retirements(NOW), "keys_retired": ring.retired_by(NOW),
        "keys_version": ring.version, "persons": [ALICE],
    }  # fmt: skip
    fields.update(changes)
    return GateSnapshot.model_validate(fields)


def signed_by(keys: Path, snap: GateSnapshot) -> bytes:
    return encode(snap, snapshot_signer(signing_keys(keys)))[0]


def gate_store(path: Path, anchors: Path, clock: FixedClock) -> SnapshotStore:
    return SnapshotStore(path, site="main", gate=GATE, trusted=KeyRing.load(anchors), clock=clock)


def code(key: SigningKey, at: datetime) -> str:
    return issue_code(key, subject=ALICE.id, typ="id", ttl=timedelta(days=30), now=at, site="main")


def passage(code_text: str, at: datetime) -> Passage:
    return Passage(
        event_id=uuid7(), site="main", gate=GATE, direction="in", ts=at,
        credentials=[Credential(kind="qr", data=code_text)],
        temperature=Temperature(celsius=Decimal("36.5"), sensor="ir-0", measured_at=at),
        mask=True,
    )  # fmt: skip


def test_a_rotation_reaches_a_gate_that_trusts_only_the_old_key_and_survives_a_restart(
    tmp_path: Path,
) -> None:
    keys, anchors, clock = tmp_path / "keys", tmp_path / "anchors", FixedClock(NOW)
    first = new_key(keys, now=NOW)
    export_public_keys(keys, anchors)  # what the gate was installed with
    store = gate_store(tmp_path / "snap.bin", anchors, clock)
    assert store.install(signed_by(keys, snapshot(keys, 1)))
    assert stat.S_IMODE((tmp_path / "snap.bin").stat().st_mode) == 0o600  # it names people
    second = new_key(keys, now=NOW)
    assert store.install(signed_by(keys, snapshot(keys, 2)))  # signed by both keys
    retire_key(keys, first.kid)
    only_second = signed_by(keys, snapshot(keys, 3))
    assert store.install(only_second)  # trusted through the snapshot it held
    assert store.current is not None
    assert set(store.current.snapshot.keys) == {second.kid}
    again = gate_store(tmp_path / "snap.bin", anchors, clock)  # the gate restarts
    assert again.current is not None
    assert again.current.snapshot.version == 3
    # A gate installed with the first key only, that never saw the rotation, refuses it.
    fresh = gate_store(tmp_path / "fresh.bin", anchors, clock)
    assert not fresh.install(only_second)
    assert "none of them a key this gate trusts" in fresh.last_error


def test_an_unsigned_file_on_disk_is_not_used(tmp_path: Path) -> None:
    keys, clock = tmp_path / "keys", FixedClock(NOW)
    new_key(keys, now=NOW)
    (tmp_path / "snap.bin").write_bytes(encode(snapshot(keys, 1))[0])
    store = gate_store(tmp_path / "snap.bin", keys, clock)
    assert store.current is None
    assert "not signed" in store.last_error


def test_a_retirement_in_the_held_snapshot_outranks_the_configured_key(tmp_path: Path) -> None:
    keys, anchors, clock = tmp_path / "keys", tmp_path / "anchors", FixedClock(NOW)
    first = new_key(keys, now=NOW)
    new_key(keys, now=NOW)
    export_public_keys(keys, anchors)  # the gate is configured with both keys
    retire_key(keys, first.kid, at=NOW + timedelta(hours=1))
    store = gate_store(tmp_path / "snap.bin", anchors, clock)
    assert store.install(signed_by(keys, snapshot(keys, 1)))
    clock.set(NOW + timedelta(hours=2))
    # The first key's private key leaked (that is why it was retired): a snapshot it signs
    # is refused although the gate's configuration still names it.
    stolen = encode(snapshot(keys, 2, persons=[]), snapshot_signer([first]))[0]
    assert not store.install(stolen)
    assert store.current is not None
    assert store.current.snapshot.version == 1


def test_a_key_retired_outright_is_never_trusted_again_though_configured(
    tmp_path: Path,
) -> None:
    keys, anchors, clock = tmp_path / "keys", tmp_path / "anchors", FixedClock(NOW)
    first = new_key(keys, now=NOW)
    export_public_keys(keys, anchors)  # installed with the first key only
    store = gate_store(tmp_path / "snap.bin", anchors, clock)
    assert store.install(signed_by(keys, snapshot(keys, 1)))
    new_key(keys, now=NOW)
    assert store.install(signed_by(keys, snapshot(keys, 2)))
    retire_key(keys, first.kid)  # leaked: retired at once
    retired = snapshot(keys, 3)
    assert retired.keys_retired == [first.kid]
    assert store.install(signed_by(keys, retired))
    stolen = encode(snapshot(keys, 4, persons=[]), snapshot_signer([first]))[0]
    assert not store.install(stolen)
    assert "none of them a key this gate trusts" in store.last_error
    assert store.current is not None
    assert store.current.snapshot.version == 3


def test_the_offline_decider_ends_a_keys_codes_at_its_scheduled_retirement(
    tmp_path: Path,
) -> None:
    keys, clock = tmp_path / "keys", FixedClock(NOW)
    first = new_key(keys, now=NOW)
    new_key(keys, now=NOW)
    retire_key(keys, first.kid, at=NOW + timedelta(hours=1))
    store = gate_store(tmp_path / "snap.bin", keys, clock)
    assert store.install(signed_by(keys, snapshot(keys, 1)))
    decider = LocalDecider(store, clock=clock, locked=lambda: False, last_contact=lambda: NOW)
    card = code(first, NOW - timedelta(days=1))
    assert decider.decide(passage(card, NOW)).decision == "admit"
    clock.set(NOW + timedelta(hours=1))  # no new snapshot needed: the time is in the one held
    refused = decider.decide(passage(card, clock.now()))
    assert (refused.decision, refused.reasons) == ("deny", ["invalid_code", "not_whitelisted"])
    elsewhere = issue_code(
        signing_keys(keys)[0], subject=ALICE.id, typ="id", ttl=timedelta(hours=1),
        now=clock.now(), site="east",
    )  # fmt: skip
    assert decider.decide(passage(elsewhere, clock.now())).reasons[0] == "invalid_code"
