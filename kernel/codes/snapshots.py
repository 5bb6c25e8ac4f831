"""Signing whitelist snapshots with the site's keys, and checking them at the gate.

The central signs each snapshot envelope's header (which names the body's
SHA-256) with every private key of the site: during a rotation the old key's
signature lets a gate that trusts only the old key accept the snapshot that
brings it the new one.  A gate trusts the keys configured on it (its anchors)
and the keys in force in the snapshot it already holds, which was itself signed
by a key it trusted.  It accepts a header if a key it trusts signed it and no
trusted key's signature on it is wrong; anything else is a SnapshotError and the
old snapshot stays.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from cryptography.exceptions import InvalidSignature

from kernel.codes.format import b64decode, b64encode
from kernel.codes.keys import KeyRing, SigningKey
from kernel.errors import InvalidCode
from schemas.snapshot import Signer, SnapshotError, SnapshotHeader, signed_part


def snapshot_signer(keys: Sequence[SigningKey]) -> Signer:
    """Signs with every key in ``keys``."""
    chosen = list(keys)

    def sign(data: bytes) -> dict[str, str]:
        return {key.kid: b64encode(key.sign(data)) for key in chosen}

    return sign


def check_signature(header: SnapshotHeader, trusted: KeyRing, now: datetime) -> str:
    """The kid of a trusted key in force that signed ``header``; SnapshotError if none did."""
    if not header.sigs:
        raise SnapshotError("snapshot is not signed: refused")
    data = signed_part(header)
    good: list[str] = []
    for kid, text in sorted(header.sigs.items()):
        key = trusted.get(kid)
        if key is None or not trusted.in_force(kid, now):
            continue  # a key this gate does not know (yet) or no longer trusts
        try:
            key.verify(b64decode(text), data)
        except (InvalidSignature, InvalidCode) as exc:
            raise SnapshotError(f"snapshot signature by {kid} is wrong: refused") from exc
        good.append(kid)
    if not good:
        raise SnapshotError(
            f"snapshot signed by {', '.join(sorted(header.sigs))}, none of them a key this gate "
            "trusts: refused (site_keys_dir)"
        )
    return good[0]
