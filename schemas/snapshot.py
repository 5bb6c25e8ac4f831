"""The whitelist snapshot a gate decides on when the central side cannot answer.

One snapshot per gate: the people allowed there (with validity, kind, open
isolation cases), the one-time codes already spent, the public keys that sign
codes, the policy, and whether the gate is locked down.  It travels retained on
the gate's ``snapshot`` topic as an envelope: one JSON header line (version,
SHA-256 of the body, sizes) then the zlib-compressed JSON body.  The gate checks
the header, decompresses at most the announced size, checks the checksum, then
parses and swaps it in whole; anything else is rejected and the old snapshot
stays (never half applied).
"""

from __future__ import annotations

import hashlib
import json
import zlib
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from schemas.messages import Text, Timestamp, WireModel
from schemas.names import GateName, SiteName
from schemas.policy import Policy

MAX_SNAPSHOT_BYTES = 64 * 2**20
"""Largest decompressed body a gate accepts (a zip bomb stops here)."""
MAX_HEADER_BYTES = 512


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


class GateSnapshot(WireModel):
    site: SiteName
    gate: GateName
    version: Annotated[int, Field(ge=0)]
    built_at: Timestamp
    policy: Policy
    keys: dict[Annotated[str, Field(max_length=32)], Annotated[str, Field(max_length=64)]]
    persons: list[SnapshotPerson]
    used_codes: list[Annotated[str, Field(max_length=128)]] = Field(default_factory=list)
    locked: bool = False


class SnapshotHeader(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    v: Literal[1] = 1
    site: SiteName
    gate: GateName
    version: Annotated[int, Field(ge=0)]
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    size: Annotated[int, Field(ge=2, le=MAX_SNAPSHOT_BYTES)]


def encode(snapshot: GateSnapshot) -> tuple[bytes, str]:
    """The envelope for ``snapshot`` and the checksum of its body."""
    body = snapshot.model_dump_json().encode()
    checksum = hashlib.sha256(body).hexdigest()
    header = SnapshotHeader(
        site=snapshot.site,
        gate=snapshot.gate,
        version=snapshot.version,
        sha256=checksum,
        size=len(body),
    )
    return header.model_dump_json().encode() + b"\n" + zlib.compress(body, 6), checksum


def read_header(envelope: bytes) -> SnapshotHeader:
    line, sep, _ = envelope[: MAX_HEADER_BYTES + 1].partition(b"\n")
    if not sep:
        raise SnapshotError("snapshot envelope has no header line")
    try:
        return SnapshotHeader.model_validate_json(line)
    except ValidationError as exc:
        raise SnapshotError(f"snapshot header is invalid: {exc.error_count()} error(s)") from exc


def decode(envelope: bytes) -> tuple[SnapshotHeader, GateSnapshot]:
    """Check and open an envelope; raises SnapshotError for anything wrong with it."""
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
