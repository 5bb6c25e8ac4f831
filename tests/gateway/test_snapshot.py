"""Whitelist snapshots: the envelope, the gate's store, and offline decisions on them."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.snapshot.local import LocalDecider
from gateway.snapshot.store import SnapshotStore
from kernel.clock import FixedClock
from kernel.codes import KeyRing, issue_code, new_key
from kernel.codes.keys import SigningKey, signing_keys
from kernel.codes.snapshots import snapshot_signer
from schemas.ids import uuid7
from schemas.messages import Credential, Passage, Temperature
from schemas.policy import Policy
from schemas.snapshot import GateSnapshot, Signer, SnapshotError, SnapshotPerson, decode, encode

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
GATE = "north-1"


def person(pid: str, **changes: object) -> SnapshotPerson:
    fields: dict[str, object] = {"id": pid, "name": f"Name {pid}", "kind": "staff"}
    fields.update(changes)
    return SnapshotPerson.model_validate({"masked_id": "**************1234", **fields})


def snapshot(
    key_dir: Path, *persons: SnapshotPerson, version: int = 1, **changes: object
) -> GateSnapshot:
    fields: dict[str, object] = {
        "site": "main",
        "gate": GATE,
        "version": version,
        "built_at": NOW,
        "policy": Policy(site="main", version=4),
        "keys": KeyRing.load(key_dir).public_keys(),
        "persons": list(persons),
    }
    fields.update(changes)
    return GateSnapshot.model_validate(fields)


def signed(key_dir: Path) -> Signer:
    """Signs as the central does: with every private key of the site."""
    return snapshot_signer(signing_keys(key_dir))


def store_at(path: Path, key_dir: Path) -> SnapshotStore:
    """A gate's store that trusts the site's keys in ``key_dir``."""
    return SnapshotStore(
        path, site="main", gate=GATE, trusted=KeyRing.load(key_dir), clock=FixedClock(NOW)
    )


@pytest.fixture
def key(tmp_path: Path) -> SigningKey:
    return new_key(tmp_path / "keys", now=NOW)


def test_envelope_round_trip_and_tampering(tmp_path: Path, key: SigningKey) -> None:
    snap = snapshot(tmp_path / "keys", person("2021001"))
    envelope, checksum = encode(snap)
    header, back = decode(envelope)
    assert (header.sha256, back) == (checksum, snap)
    head, _, body = envelope.partition(b"\n")
    raw = bytearray(zlib.decompress(body))
    raw[raw.index(b"2021001")] = ord("3")  # someone edits a person id
    with pytest.raises(SnapshotError, match="checksum"):
        decode(head + b"\n" + zlib.compress(bytes(raw)))
    with pytest.raises(SnapshotError, match="announced"):
        decode(envelope[:-5])  # truncated in transit
    with pytest.raises(SnapshotError, match="header"):
        decode(b'{"v": 2}\n' + body)
    with pytest.raises(SnapshotError, match="no header"):
        decode(b"garbage")


def test_a_zip_bomb_stops_at_the_announced_size(tmp_path: Path, key: SigningKey) -> None:
    envelope, _ = encode(snapshot(tmp_path / "keys"))
    head, _, _ = envelope.partition(b"\n")
    bomb = zlib.compress(b"0" * (50 * 2**20))
    with pytest.raises(SnapshotError, match="announced"):
        decode(head + b"\n" + bomb)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_arbitrary_bytes_are_only_ever_a_snapshot_error(data: bytes) -> None:
    with pytest.raises(SnapshotError):
        decode(data)


def test_store_swaps_whole_keeps_the_old_on_a_bad_one_and_survives_restart(
    tmp_path: Path, key: SigningKey
) -> None:
    path = tmp_path / "gate-snapshot.bin"
    store = store_at(path, tmp_path / "keys")
    assert store.current is None
    assert store.info() is None
    sign = signed(tmp_path / "keys")
    first, first_sum = encode(snapshot(tmp_path / "keys", person("a"), version=1), sign)
    assert store.install(first)
    assert not store.install(first)  # the same one again changes nothing
    assert not store.install(first[:-3])
    assert store.rejected == 1
    assert "announced" in store.last_error
    other_gate, _ = encode(snapshot(tmp_path / "keys", version=5, gate="south-2"), sign)
    assert not store.install(other_gate)
    second, second_sum = encode(
        snapshot(tmp_path / "keys", person("a"), person("b"), version=2), sign
    )
    assert store.install(second)
    older, _ = encode(snapshot(tmp_path / "keys", version=1, persons=[]), sign)
    assert not store.install(older)
    info = store.info()
    assert info is not None
    assert (info.version, info.checksum) == (2, second_sum)
    assert first_sum != second_sum
    again = store_at(path, tmp_path / "keys")  # the gate restarted
    assert again.current is not None
    assert [p.id for p in again.current.snapshot.persons] == ["a", "b"]
    assert not list(tmp_path.glob("*.tmp"))


def _passage(code: str | None, celsius: str | None = "36.6") -> Passage:
    return Passage(
        event_id=uuid7(),
        site="main",
        gate=GATE,
        direction="in",
        ts=NOW,
        credentials=[Credential(kind="qr", data=code)] if code else [],
        temperature=None
        if celsius is None
        else Temperature(celsius=Decimal(celsius), sensor="ir-0", measured_at=NOW),
        mask=True,
    )


class Offline:
    def __init__(self, tmp_path: Path, key: SigningKey, *persons: SnapshotPerson) -> None:
        self.key = key
        self.clock = FixedClock(NOW)
        self.locked = False
        self.store = store_at(tmp_path / "snap.bin", tmp_path / "keys")
        if persons:
            envelope = encode(snapshot(tmp_path / "keys", *persons), signed(tmp_path / "keys"))[0]
            assert self.store.install(envelope)
        self.decider = LocalDecider(
            self.store,
            clock=self.clock,
            locked=lambda: self.locked,
            last_contact=lambda: None,
            max_offline_age=timedelta(hours=12),
        )

    def code(self, subject: str, **kw: object) -> str:
        return issue_code(
            self.key, subject=subject, typ=str(kw.pop("typ", "id")), ttl=timedelta(hours=1),
            now=self.clock.now(), site="main", **kw,  # type: ignore[arg-type]
        )  # fmt: skip

    def decide(self, code: str | None, celsius: str | None = "36.6") -> tuple[str, list[str]]:
        decision = self.decider.decide(_passage(code, celsius))
        return decision.decision, decision.reasons


def test_offline_decisions_follow_the_central_rules(tmp_path: Path, key: SigningKey) -> None:
    gate = Offline(
        tmp_path,
        key,
        person("2021001"),
        person("2021002", open_case_id="C-1"),
        person("2021003", gates=["south-2"]),
    )
    assert gate.decide(gate.code("2021001")) == ("admit", [])
    assert gate.decide(gate.code("nobody")) == ("deny", ["not_whitelisted"])
    assert gate.decide(gate.code("2021002")) == ("isolate", ["isolation_pending"])
    assert gate.decide(gate.code("2021003")) == ("deny", ["not_allowed_here"])
    assert gate.decide(gate.code("2021001"), "37.3") == ("isolate", ["fever"])
    assert gate.decide(gate.code("2021001"), None) == ("recheck", ["no_temperature"])
    assert gate.decide("CG1.forged.code") == ("deny", ["invalid_code", "not_whitelisted"])
    gate.locked = True
    assert gate.decide(gate.code("2021001"))[1] == ["gate_closed"]


def test_a_one_time_code_admits_once_offline(tmp_path: Path, key: SigningKey) -> None:
    gate = Offline(tmp_path, key, person("2021001"))
    once = gate.code("2021001", once=True)
    assert gate.decide(once) == ("admit", [])
    assert gate.decide(once) == ("deny", ["code_used", "not_whitelisted"])  # as centrally


def test_offline_a_one_time_code_is_spent_by_entering_only_as_centrally(
    tmp_path: Path, key: SigningKey
) -> None:
    gate = Offline(tmp_path, key, person("2021001"), person("2021002", open_case_id="C-1"))
    once = gate.code("2021001", once=True)
    out = _passage(once).model_copy(update={"direction": "out"})
    assert gate.decider.decide(out).decision == "admit"  # leaving spends nothing
    assert gate.decide(once) == ("admit", [])
    assert gate.decider.decide(out).decision == "admit"  # its holder may still leave
    assert gate.decide(once) == ("deny", ["code_used", "not_whitelisted"])
    under_case = gate.decider.decide(_passage(gate.code("2021002")))
    assert (under_case.decision, under_case.case_id) == ("isolate", "C-1")  # joins its case


def test_a_stale_snapshot_admits_nobody_but_fevers_still_isolate(
    tmp_path: Path, key: SigningKey
) -> None:
    gate = Offline(tmp_path, key, person("2021001"))
    gate.clock.set(NOW + timedelta(hours=13))
    assert gate.decide(gate.code("2021001")) == ("deny", ["snapshot_stale"])
    assert gate.decide(gate.code("2021001"), "38.0") == ("isolate", ["fever", "snapshot_stale"])


def test_without_any_snapshot_the_fever_rule_still_holds(tmp_path: Path, key: SigningKey) -> None:
    gate = Offline(tmp_path, key)
    assert gate.decide(gate.code("2021001"), "37.5")[0] == "isolate"
    decision, reasons = gate.decide(gate.code("2021001"))
    assert decision == "deny"
    assert "snapshot_stale" in reasons


names = st.sampled_from([f"p{i}" for i in range(12)])


@settings(max_examples=150, deadline=None)
@given(
    before=st.sets(names),
    after=st.sets(names),
    renamed=st.sets(names),
    codes_before=st.sets(st.sampled_from(["j1", "j2", "j3"])),
    codes_after=st.sets(st.sampled_from(["j1", "j2", "j3"])),
    locked=st.booleans(),
)
def test_a_delta_turns_the_old_snapshot_into_exactly_the_new_one(
    before: set[str],
    after: set[str],
    renamed: set[str],
    codes_before: set[str],
    codes_after: set[str],
    locked: bool,
) -> None:
    from schemas.snapshot import apply, checksum_of, diff

    def snap(ids: set[str], codes: set[str], **changes: object) -> GateSnapshot:
        people = [
            person(i, name=f"New {i}" if i in renamed and changes else f"Name {i}")
            for i in sorted(ids)
        ]
        return GateSnapshot(
            site="main", gate=GATE, version=1 + len(changes), built_at=NOW,
            policy=Policy(site="main"), keys={}, persons=people,
            used_codes=sorted(codes), locked=bool(changes.get("locked", False)),
        )  # fmt: skip

    old = snap(before, codes_before)
    new = snap(after, codes_after, locked=locked, bump=True)
    delta = diff(old, new)
    assert checksum_of(apply(old, delta)) == checksum_of(new)
    if checksum_of(old) != checksum_of(new):
        with pytest.raises(SnapshotError, match="another snapshot"):
            apply(new, delta)


def test_store_applies_deltas_and_refuses_the_wrong_ones(tmp_path: Path, key: SigningKey) -> None:
    from schemas.snapshot import diff, encode_delta

    keys = tmp_path / "keys"
    store = store_at(tmp_path / "snap.bin", keys)
    sign = signed(keys)
    v1 = snapshot(keys, person("a"), person("b"), version=1)
    v2 = snapshot(keys, person("b"), person("c"), version=2, used_codes=["j1"])
    v3 = snapshot(keys, person("c"), version=3)
    assert not store.install(encode_delta(diff(v1, v2, sign), sign))  # nothing held to apply
    assert "no snapshot is held" in store.last_error
    assert store.install(encode(v1, sign)[0])
    assert not store.install(encode_delta(diff(v2, v3, sign), sign))  # for another base
    assert store.current is not None
    assert store.current.snapshot.version == 1
    assert store.install(encode_delta(diff(v1, v2, sign), sign))
    assert store.current.snapshot == v2
    assert store.deltas == 2
    info = store.info()
    assert info is not None
    assert info.checksum == encode(v2)[1]
    again = store_at(tmp_path / "snap.bin", keys)
    assert again.current is not None
    assert again.current.snapshot == v2  # the applied result was kept on disk, whole
