"""Ed25519 key files: ``<kid>.key`` (PKCS8 PEM, 0600), ``<kid>.pub`` (raw, base64url), ``active``.

Rotation: a new key becomes active; old public keys stay in the ring so the
codes they signed keep verifying until they expire, then ``keys retire`` them.
Gates hold only the ``.pub`` files.
"""

from __future__ import annotations

import os
import re
import secrets
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


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private: Ed25519PrivateKey

    def sign(self, data: bytes) -> bytes:
        return self.private.sign(data)


class KeyRing:
    """Public keys by kid; all a verifier (a gate included) needs."""

    def __init__(self, keys: dict[str, Ed25519PublicKey]) -> None:
        self._keys = dict(keys)

    def get(self, kid: str) -> Ed25519PublicKey | None:
        return self._keys.get(kid)

    @property
    def kids(self) -> list[str]:
        return sorted(self._keys)

    def public_keys(self) -> dict[str, str]:
        """kid -> raw public key, base64url: what a gate's snapshot carries."""
        return {
            kid: b64encode(
                key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            )
            for kid, key in sorted(self._keys.items())
        }

    @classmethod
    def from_public_keys(cls, keys: dict[str, str]) -> KeyRing:
        """The ring a gate rebuilds from its snapshot; a bad key is a ConfigError."""
        ring: dict[str, Ed25519PublicKey] = {}
        for kid, text in keys.items():
            try:
                ring[kid] = Ed25519PublicKey.from_public_bytes(b64decode(text))
            except (InvalidCode, ValueError, UnsupportedAlgorithm) as exc:
                raise ConfigError(f"bad public key {kid!r}") from exc
        return cls(ring)

    @classmethod
    def load(cls, directory: Path) -> KeyRing:
        if not directory.is_dir():
            raise ConfigError(f"key directory {directory} does not exist (campusgate keys new)")
        keys: dict[str, Ed25519PublicKey] = {}
        for path in sorted(directory.glob("*.pub")):
            try:
                raw = b64decode(path.read_text(encoding="ascii").strip())
                keys[path.stem] = Ed25519PublicKey.from_public_bytes(raw)
            except (InvalidCode, ValueError, UnsupportedAlgorithm) as exc:
                raise ConfigError(f"bad public key file {path}") from exc
        return cls(keys)


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
    public = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    (directory / f"{kid}.pub").write_text(b64encode(public) + "\n", encoding="ascii")
    (directory / ACTIVE_FILE).write_text(kid + "\n", encoding="ascii")
    return SigningKey(kid, private)


def active_kid(directory: Path) -> str:
    try:
        kid = (directory / ACTIVE_FILE).read_text(encoding="ascii").strip()
    except OSError as exc:
        raise ConfigError(f"no active key in {directory} (campusgate keys new)") from exc
    if not KID_RE.fullmatch(kid):
        raise ConfigError(f"active key id {kid!r} in {directory} is malformed")
    return kid


def load_signing_key(directory: Path) -> SigningKey:
    kid = active_kid(directory)
    try:
        private = serialization.load_pem_private_key((directory / f"{kid}.key").read_bytes(), None)
    except (OSError, ValueError, UnsupportedAlgorithm) as exc:
        raise ConfigError(f"cannot load the private key {kid} from {directory}") from exc
    if not isinstance(private, Ed25519PrivateKey):
        raise ConfigError(f"key {kid} is not an Ed25519 key")
    return SigningKey(kid, private)


def retire_key(directory: Path, kid: str) -> None:
    if kid == active_kid(directory):
        raise ConfigError(f"{kid} is the active key; make a new one before retiring it")
    if not (directory / f"{kid}.pub").exists():
        raise ConfigError(f"no key {kid} in {directory}")
    for suffix in (".key", ".pub"):
        (directory / f"{kid}{suffix}").unlink(missing_ok=True)
