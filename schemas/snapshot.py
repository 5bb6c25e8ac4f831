"""The whitelist snapshot a gate decides on when the central side cannot answer.

One snapshot per gate: the people allowed there (with validity, kind, open
isolation cases), the one-time codes already spent, the public keys that sign
codes, the policy, and whether the gate is locked down.  It travels retained on
the gate's ``snapshot`` topic as an envelope: one JSON header line (version,
SHA-256 of the body, sizes, and Ed25519 signatures over the rest of the header by
the site's keys) then the zlib-compressed JSON body.  The gate checks the
header's signature (:mod:`kernel.codes.snapshots`), decompresses at most the
announced size, checks the checksum, then parses and swaps it in whole; anything
else is rejected and the old snapshot stays (never half applied).

The snapshot carries the site's key set: the public keys in force, the
retirement time of those whose retirement is scheduled, the keys retired for
good, and the set's version.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from schemas.messages import Text, Timestamp, WireModel
from schemas.names import GateName, SiteName
from schemas.policy import Policy

MAX_SNAPSHOT_BYTES = 64 * 2**20
"""Largest decompressed body a gate accepts (a zip bomb stops here)."""
MAX_HEADER_BYTES = 2048
ID_HASH_HEX = 16
"""A snapshot's ID-number hashes are cut to 64 bits: the full 256 made a 20,000-person
snapshot 1.07 MB compressed, over the broker's 1 MiB packet limit (23.6 bytes a person
with 64 bits, 11.6 without any); 64 bits keep a chance match of a wrong number below
one in 10^14 for a campus of 100,000."""
MAX_SIGNATURES = 8
"""A snapshot is signed by every private key the site holds (two during a rotation)."""
SIGNED_CONTEXT = b"campusgate-snapshot-header/1\n"
"""Prefixed to what is signed, so a snapshot signature can never pass for a code's."""

KeyId = Annotated[str, Field(max_length=32)]
PublicKeyText = Annotated[str, Field(max_length=64)]
SignatureText = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{86}$")]
Signatures = Annotated[dict[KeyId, SignatureText], Field(max_length=MAX_SIGNATURES)]
RetiredKeys = Annotated[list[KeyId], Field(max_length=1000)]
Signer = Callable[[bytes], dict[str, str]]
"""What is signed -> kid -> base64url Ed25519 signature."""


class SnapshotError(ValueError):
    """A snapshot envelope that is malformed, truncated or does not match its checksum."""


class SnapshotPerson(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Text
    name: Text
    kind: Text
    masked_id: Annotated[str, Field(max_length=32)]
    active: bool = True
    valid_from: Timestamp | None = None
    valid_until: Timestamp | None = None
    gates: list[GateName] | None = None  # None: every gate
    return_approved: bool = True
    household: Annotated[str, Field(max_length=64)] | None = None
    open_case_id: Annotated[str, Field(max_length=40)] | None = None
    # Only when the policy accepts plain IDs: the keyed hash of the person's ID document
    # (never the number; its first ID_HASH_HEX hex digits) and their campus IC-card number,
    # for look-ups offline.
    id_hash: Annotated[str, Field(pattern=r"^[0-9a-f]{16}$")] | None = None
    card_no: Annotated[str, Field(max_length=32)] | None = None
    suspended: bool = False  # a confirmed case, not yet returned (复学)


MAX_GUARDS = 64


class SnapshotGuard(BaseModel):
    """A guard of this gate who may sign in at its own kiosk while the centre is away:
    the argon2id hash of their password, never the password (issue 20)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    username: Annotated[str, Field(min_length=1, max_length=64)]
    password_hash: Annotated[str, Field(min_length=1, max_length=200)]


class SnapshotPlate(BaseModel):
    """A vehicle that may enter: a whitelisted plate, or one an approved visit brings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    plate: Annotated[str, Field(min_length=7, max_length=8)]
    valid_from: Timestamp | None = None
    valid_until: Timestamp | None = None


class GateSnapshot(WireModel):
    site: SiteName
    gate: GateName
    version: Annotated[int, Field(ge=0)]
    built_at: Timestamp
    policy: Policy
    keys: dict[KeyId, PublicKeyText]
    # When keys whose retirement is scheduled stop verifying (offline too).
    key_retires: dict[KeyId, Timestamp] = Field(default_factory=dict)
    # Keys retired for good: never trusted again, whatever a gate was configured with.
    keys_retired: RetiredKeys = Field(default_factory=list)
    keys_version: Annotated[int, Field(ge=0)] = 0
    persons: list[SnapshotPerson]
    used_codes: list[Annotated[str, Field(max_length=128)]] = Field(default_factory=list)
    locked: bool = False
    # The guards of this gate only: another gate's guards never sign in here.
    guards: list[SnapshotGuard] = Field(default_factory=list, max_length=MAX_GUARDS)
    plates: list[SnapshotPlate] = Field(default_factory=list)


class SnapshotDelta(WireModel):
    """The changes from the snapshot with checksum ``base`` to the one with ``sha256``.

    Small values (policy, keys, lockdown) travel whole; people and spent codes as
    changes.  Applying it to anything but ``base`` is refused; the result must
    hash to ``sha256`` or it is thrown away (the gate then asks for a full one).
    """

    site: SiteName
    gate: GateName
    base: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    version: Annotated[int, Field(ge=0)]
    built_at: Timestamp
    policy: Policy
    keys: dict[KeyId, PublicKeyText]
    key_retires: dict[KeyId, Timestamp] = Field(default_factory=dict)
    keys_retired: RetiredKeys = Field(default_factory=list)
    keys_version: Annotated[int, Field(ge=0)] = 0
    locked: bool
    # The signatures of the full snapshot the delta makes: the gate keeps that one.
    result_sigs: Signatures = Field(default_factory=dict)
    upsert: list[SnapshotPerson] = Field(default_factory=list)
    remove: list[Text] = Field(default_factory=list)
    codes_added: list[Annotated[str, Field(max_length=128)]] = Field(default_factory=list)
    codes_removed: list[Annotated[str, Field(max_length=128)]] = Field(default_factory=list)
    # Few and small: the whole list every time.
    guards: list[SnapshotGuard] = Field(default_factory=list, max_length=MAX_GUARDS)
    plates: list[SnapshotPlate] = Field(default_factory=list)  # whole, like the policy


class SnapshotHeader(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    v: Literal[1] = 1
    kind: Literal["full", "delta"] = "full"
    site: SiteName
    gate: GateName
    version: Annotated[int, Field(ge=0)]
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    size: Annotated[int, Field(ge=2, le=MAX_SNAPSHOT_BYTES)]
    sigs: Signatures = Field(default_factory=dict)


def signed_part(header: SnapshotHeader) -> bytes:
    """What the site's keys sign: the header without its signatures (it names the body's hash)."""
    return SIGNED_CONTEXT + header.model_dump_json(exclude={"sigs"}).encode()


def _signed(header: SnapshotHeader, signer: Signer | None) -> SnapshotHeader:
    if signer is None:
        return header
    return header.model_copy(update={"sigs": signer(signed_part(header))})


def body_of(snapshot: GateSnapshot) -> bytes:
    """The canonical bytes a snapshot's checksum is taken over (people and codes sorted)."""
    return snapshot.model_dump_json().encode()


def checksum_of(snapshot: GateSnapshot) -> str:
    return hashlib.sha256(body_of(snapshot)).hexdigest()


def _envelope(header: SnapshotHeader, body: bytes) -> bytes:
    return header.model_dump_json().encode() + b"\n" + zlib.compress(body, 6)


def _full_header(snapshot: GateSnapshot, body: bytes) -> SnapshotHeader:
    return SnapshotHeader(
        site=snapshot.site,
        gate=snapshot.gate,
        version=snapshot.version,
        sha256=hashlib.sha256(body).hexdigest(),
        size=len(body),
    )


def encode(snapshot: GateSnapshot, signer: Signer | None = None) -> tuple[bytes, str]:
    """The envelope for ``snapshot`` (signed by ``signer``) and the checksum of its body."""
    body = body_of(snapshot)
    header = _signed(_full_header(snapshot, body), signer)
    return _envelope(header, body), header.sha256


def diff(old: GateSnapshot, new: GateSnapshot, signer: Signer | None = None) -> SnapshotDelta:
    """What turns ``old`` into ``new``; with ``signer``, carrying the signatures of ``new``."""
    before = {p.id: p for p in old.persons}
    after = {p.id: p for p in new.persons}
    old_codes, new_codes = set(old.used_codes), set(new.used_codes)
    return SnapshotDelta(
        site=new.site,
        gate=new.gate,
        base=checksum_of(old),
        sha256=checksum_of(new),
        version=new.version,
        built_at=new.built_at,
        policy=new.policy,
        keys=new.keys,
        key_retires=new.key_retires,
        keys_retired=new.keys_retired,
        keys_version=new.keys_version,
        locked=new.locked,
        result_sigs=_signed(_full_header(new, body_of(new)), signer).sigs,
        upsert=[p for pid, p in after.items() if before.get(pid) != p],
        remove=sorted(set(before) - set(after)),
        plates=new.plates,
        codes_added=sorted(new_codes - old_codes),
        codes_removed=sorted(old_codes - new_codes),
        guards=new.guards,
    )


def encode_delta(delta: SnapshotDelta, signer: Signer | None = None) -> bytes:
    body = delta.model_dump_json().encode()
    header = SnapshotHeader(
        kind="delta",
        site=delta.site,
        gate=delta.gate,
        version=delta.version,
        sha256=hashlib.sha256(body).hexdigest(),
        size=len(body),
    )
    return _envelope(_signed(header, signer), body)


def apply(snapshot: GateSnapshot, delta: SnapshotDelta) -> GateSnapshot:
    """``snapshot`` with ``delta`` applied; SnapshotError unless the result is exactly right."""
    if checksum_of(snapshot) != delta.base:
        raise SnapshotError("delta is for another snapshot than the one held")
    persons = {p.id: p for p in snapshot.persons}
    for person_id in delta.remove:
        persons.pop(person_id, None)
    persons.update({p.id: p for p in delta.upsert})
    codes = (set(snapshot.used_codes) - set(delta.codes_removed)) | set(delta.codes_added)
    result = snapshot.model_copy(
        update={
            "version": delta.version,
            "built_at": delta.built_at,
            "policy": delta.policy,
            "keys": delta.keys,
            "key_retires": delta.key_retires,
            "keys_retired": delta.keys_retired,
            "keys_version": delta.keys_version,
            "locked": delta.locked,
            "persons": sorted(persons.values(), key=lambda p: p.id),
            "used_codes": sorted(codes),
            "guards": delta.guards,
            "plates": delta.plates,
        }
    )
    # Rebuilt through validation so the bytes are exactly what the builder makes.
    result = GateSnapshot.model_validate_json(result.model_dump_json())
    if checksum_of(result) != delta.sha256:
        raise SnapshotError("delta applied does not give the announced snapshot")
    return result


def read_header(envelope: bytes) -> SnapshotHeader:
    line, sep, _ = envelope[: MAX_HEADER_BYTES + 1].partition(b"\n")
    if not sep:
        raise SnapshotError("snapshot envelope has no header line")
    try:
        return SnapshotHeader.model_validate_json(line)
    except ValidationError as exc:
        raise SnapshotError(f"snapshot header is invalid: {exc.error_count()} error(s)") from exc


def _open(envelope: bytes) -> tuple[SnapshotHeader, bytes]:
    header = read_header(envelope)
    compressed = envelope[envelope.index(b"\n") + 1 :]
    inflater = zlib.decompressobj()
    try:
        body = inflater.decompress(compressed, header.size + 1)
    except zlib.error as exc:
        raise SnapshotError(f"snapshot body does not decompress: {exc}") from exc
    if len(body) != header.size or not inflater.eof or inflater.unused_data:
        raise SnapshotError(f"snapshot body is not the announced {header.size} bytes")
    if hashlib.sha256(body).hexdigest() != header.sha256:
        raise SnapshotError("snapshot checksum does not match: damaged or tampered with")
    return header, body


def decode_delta(envelope: bytes) -> SnapshotDelta:
    header, body = _open(envelope)
    if header.kind != "delta":
        raise SnapshotError("not a snapshot delta")
    try:
        delta = SnapshotDelta.model_validate_json(body)
    except (ValidationError, json.JSONDecodeError) as exc:
        raise SnapshotError(f"snapshot delta is invalid: {exc}") from exc
    if (delta.site, delta.gate, delta.version) != (header.site, header.gate, header.version):
        raise SnapshotError("snapshot delta body and header disagree")
    return delta


def decode(envelope: bytes) -> tuple[SnapshotHeader, GateSnapshot]:
    """Check and open a full snapshot envelope; SnapshotError for anything wrong with it."""
    header, body = _open(envelope)
    if header.kind != "full":
        raise SnapshotError("a delta where a full snapshot was expected")
    try:
        snapshot = GateSnapshot.model_validate_json(body)
    except (ValidationError, json.JSONDecodeError) as exc:
        raise SnapshotError(f"snapshot body is invalid: {exc}") from exc
    if (snapshot.site, snapshot.gate, snapshot.version) != (
        header.site,
        header.gate,
        header.version,
    ):
        raise SnapshotError("snapshot body and header disagree")
    return header, snapshot
