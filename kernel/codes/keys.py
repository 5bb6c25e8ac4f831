"""Ed25519 key files of a site: what signs codes and snapshots, and what verifies them.

A key directory holds, per key id: ``<kid>.key`` (PKCS8 PEM, 0600; the signer's
only), ``<kid>.pub`` (raw public key, base64url) and, for a key whose retirement
is scheduled, ``<kid>.retire`` (the ISO-8601 UTC instant it stops verifying).
``active`` names the key that signs new codes; ``version`` counts the changes to
the set (every ``keys new`` and ``keys retire`` adds one) and travels in the
gates' snapshots so an operator can see which set a gate holds.

Rotation: a new key becomes active; old public keys stay in the ring so the
codes they signed keep verifying.  ``keys retire`` deletes the private key at
once, and either the public key too (the key stops verifying everywhere within
:data:`kernel.codes.reload.KEYS_RELOAD_S`) or, with a time, writes ``.retire``:
the key then verifies until that instant and not after, offline gates included.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kernel.codes.format import b64decode, b64encode
from kernel.errors import ConfigError, InvalidCode

KID_RE = re.compile(r"^k[0-9]{8}[0-9a-f]{4}$")
ACTIVE_FILE = "active"
VERSION_FILE = "version"
RETIRE_SUFFIX = ".retire"


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private: Ed25519PrivateKey

    def sign(self, data: bytes) -> bytes:
        return self.private.sign(data)


def _raw(key: Ed25519PublicKey) -> str:
    return b64encode(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


class KeyRing:
    """Public keys by kid, with scheduled retirements: all a verifier (a gate included) needs.

    ``retired`` names keys retired outright: never trusted again, even where a
    gate's configuration still lists them (a leaked key is retired that way).
    """

    def __init__(
        self,
        keys: Mapping[str, Ed25519PublicKey],
        *,
        retires: Mapping[str, datetime] | None = None,
        retired: Iterable[str] = (),
        version: int = 0,
    ) -> None:
        self.retired = frozenset(retired)
        self._keys = {kid: key for kid, key in keys.items() if kid not in self.retired}
        self._retires = dict(retires or {})
        self.version = version

    def get(self, kid: str) -> Ed25519PublicKey | None:
        return self._keys.get(kid)

    def retired_by(self, now: datetime) -> list[str]:
        """Keys no longer usable at ``now``: retired outright, or their retirement has come."""
        due = {kid for kid, at in self._retires.items() if at <= now}
        return sorted(self.retired | due)

    def retires_at(self, kid: str) -> datetime | None:
        """When the key stops verifying; None: not scheduled."""
        return self._retires.get(kid)

    def in_force(self, kid: str, now: datetime) -> bool:
        retires = self._retires.get(kid)
        return kid in self._keys and (retires is None or now < retires)

    @property
    def kids(self) -> list[str]:
        return sorted(self._keys)

    def public_keys(self, now: datetime | None = None) -> dict[str, str]:
        """kid -> raw public key, base64url: what a gate's snapshot carries.

        With ``now``, keys already retired are left out: a gate never needs them.
        """
        return {
            kid: _raw(key)
            for kid, key in sorted(self._keys.items())
            if now is None or self.in_force(kid, now)
        }

    def retirements(self, now: datetime | None = None) -> dict[str, datetime]:
        """kid -> scheduled retirement, for the keys :meth:`public_keys` gives."""
        return {
            kid: at
            for kid, at in sorted(self._retires.items())
            if kid in self._keys and (now is None or self.in_force(kid, now))
        }

    def with_anchors(self, anchors: KeyRing) -> KeyRing:
        """This ring plus ``anchors`` (configured keys win for a kid both name); a retirement
        either knows still applies, so a snapshot's retirement outranks the configuration."""
        return KeyRing(
            {**self._keys, **anchors._keys},
            retires={**anchors._retires, **self._retires},
            retired=self.retired | anchors.retired,
            version=self.version,
        )

    @classmethod
    def from_public_keys(
        cls,
        keys: Mapping[str, str],
        *,
        retires: Mapping[str, datetime] | None = None,
        retired: Iterable[str] = (),
        version: int = 0,
    ) -> KeyRing:
        """The ring a gate rebuilds from its snapshot; a bad key is a ConfigError."""
        ring: dict[str, Ed25519PublicKey] = {}
        for kid, text in keys.items():
            try:
                ring[kid] = Ed25519PublicKey.from_public_bytes(b64decode(text))
            except (InvalidCode, ValueError, UnsupportedAlgorithm) as exc:
                raise ConfigError(f"bad public key {kid!r}") from exc
        return cls(ring, retires=retires, retired=retired, version=version)

    @classmethod
    def load(cls, directory: Path) -> KeyRing:
        if not directory.is_dir():
            raise ConfigError(f"key directory {directory} does not exist (campusgate keys new)")
        keys: dict[str, Ed25519PublicKey] = {}
        for path in sorted(directory.glob("*.pub")):
            try:
                raw = b64decode(path.read_text(encoding="ascii").strip())
                keys[path.stem] = Ed25519PublicKey.from_public_bytes(raw)
            except (InvalidCode, ValueError, UnsupportedAlgorithm, OSError) as exc:
                raise ConfigError(f"bad public key file {path}") from exc
        # ``.retire`` beside a ``.pub``: scheduled; alone: retired outright (its time is a record).
        retires = {path.stem: _read_time(path) for path in directory.glob(f"*{RETIRE_SUFFIX}")}
        retired = {kid for kid in retires if kid not in keys}
        return cls(
            keys,
            retires={k: at for k, at in retires.items() if k in keys},
            retired=retired,
            version=key_set_version(directory),
        )


def _read_time(path: Path) -> datetime:
    try:
        at = datetime.fromisoformat(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"bad retirement time in {path}") from exc
    if at.tzinfo is None:
        raise ConfigError(f"retirement time in {path} has no time zone")
    return at.astimezone(UTC)


def _write_atomically(path: Path, text: str, *, mode: int = 0o644) -> None:
    """Readers (a verifier reloading the ring) see the old file or the new one, never half."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(text)
    tmp.replace(path)


def key_set_version(directory: Path) -> int:
    try:
        text = (directory / VERSION_FILE).read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return 0
    except OSError as exc:
        raise ConfigError(f"cannot read {directory / VERSION_FILE}") from exc
    if not text.isdigit():
        raise ConfigError(f"{directory / VERSION_FILE} holds {text!r}, not a number")
    return int(text)


def _bump_version(directory: Path) -> int:
    version = key_set_version(directory) + 1
    _write_atomically(directory / VERSION_FILE, f"{version}\n")
    return version


def new_kid(now: datetime) -> str:
    return f"k{now:%Y%m%d}{secrets.token_hex(2)}"


def new_key(directory: Path, *, now: datetime | None = None) -> SigningKey:
    """Make a key pair in ``directory`` and make it the active signing key."""
    directory.mkdir(parents=True, exist_ok=True)
    kid = new_kid(now or datetime.now(UTC))
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    key_path = directory / f"{kid}.key"
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    # The private key first, then the public one, then ``active``: whoever reads
    # the directory meanwhile finds a complete key or none.
    _write_atomically(directory / f"{kid}.pub", _raw(private.public_key()) + "\n")
    _write_atomically(directory / ACTIVE_FILE, kid + "\n")
    _bump_version(directory)
    return SigningKey(kid, private)


def active_kid(directory: Path) -> str:
    try:
        kid = (directory / ACTIVE_FILE).read_text(encoding="ascii").strip()
    except OSError as exc:
        raise ConfigError(f"no active key in {directory} (campusgate keys new)") from exc
    if not KID_RE.fullmatch(kid):
        raise ConfigError(f"active key id {kid!r} in {directory} is malformed")
    return kid


def load_private_key(directory: Path, kid: str) -> SigningKey:
    try:
        private = serialization.load_pem_private_key((directory / f"{kid}.key").read_bytes(), None)
    except (OSError, ValueError, UnsupportedAlgorithm) as exc:
        raise ConfigError(f"cannot load the private key {kid} from {directory}") from exc
    if not isinstance(private, Ed25519PrivateKey):
        raise ConfigError(f"key {kid} is not an Ed25519 key")
    return SigningKey(kid, private)


def load_signing_key(directory: Path) -> SigningKey:
    return load_private_key(directory, active_kid(directory))


def signing_keys(directory: Path) -> list[SigningKey]:
    """Every private key of the directory, the active one first (snapshots carry all their
    signatures, so a gate that trusts only the older key of a rotation still accepts them)."""
    active = active_kid(directory)
    others = sorted(p.stem for p in directory.glob("*.key") if p.stem != active)
    return [load_private_key(directory, kid) for kid in [active, *others]]


def export_public_keys(directory: Path, out: Path) -> list[str]:
    """Make ``out`` hold the public keys in force now (and their retirements), nothing else:
    what a gate's ``site_keys_dir`` needs.  Returns their kids."""
    ring = KeyRing.load(directory)
    keys = ring.public_keys(datetime.now(UTC))
    retires = ring.retirements(datetime.now(UTC))
    out.mkdir(parents=True, exist_ok=True)
    for stale in [*out.glob("*.pub"), *out.glob(f"*{RETIRE_SUFFIX}")]:
        if stale.stem not in keys or (stale.suffix == RETIRE_SUFFIX and stale.stem not in retires):
            stale.unlink()
    for kid, text in keys.items():
        _write_atomically(out / f"{kid}.pub", text + "\n")
    for kid, at in retires.items():
        _write_atomically(out / f"{kid}{RETIRE_SUFFIX}", at.isoformat() + "\n")
    _write_atomically(out / VERSION_FILE, f"{ring.version}\n")
    return sorted(keys)


def retire_key(directory: Path, kid: str, *, at: datetime | None = None) -> None:
    """Retire ``kid``: its private key goes now; its public key now, or verifies until ``at``."""
    if kid == active_kid(directory):
        raise ConfigError(f"{kid} is the active key; make a new one before retiring it")
    if not (directory / f"{kid}.pub").exists():
        retired = (directory / f"{kid}{RETIRE_SUFFIX}").exists()
        raise ConfigError(
            f"{kid} is already retired" if retired else f"no key {kid} in {directory}"
        )
    if at is not None and at.tzinfo is None:
        raise ConfigError("a retirement time needs a time zone")
    (directory / f"{kid}.key").unlink(missing_ok=True)
    # Outright, the ``.retire`` file stays alone as the record that the key is gone for
    # good: snapshots list it, so a gate never trusts it again, whatever it was told.
    when = at if at is not None else datetime.now(UTC)
    _write_atomically(directory / f"{kid}{RETIRE_SUFFIX}", when.astimezone(UTC).isoformat() + "\n")
    if at is None:
        (directory / f"{kid}.pub").unlink()
    _bump_version(directory)
