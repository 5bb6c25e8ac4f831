"""Signed codes: every way a code can be wrong ends in the verifier's own error."""

from __future__ import annotations

import base64
import contextlib
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kernel.codes import (
    KeyRing,
    UsedCodes,
    Verifier,
    check_code,
    issue_code,
    new_key,
    retire_key,
)
from kernel.codes.format import b64encode
from kernel.decision import CodeStatus
from kernel.errors import CodeError, ExpiredCode, InvalidCode, NotYetValidCode

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


@pytest.fixture
def keys(tmp_path: Path) -> Path:
    return tmp_path / "keys"


@pytest.fixture
def key(keys: Path):  # type: ignore[no-untyped-def]
    return new_key(keys, now=NOW)


@pytest.fixture
def verifier(key: object, keys: Path) -> Verifier:
    return Verifier(KeyRing.load(keys))


def code(key: object, **kw: object) -> str:
    fields: dict[str, object] = {"subject": "2021001", "typ": "id", "ttl": timedelta(hours=1),
                                 "now": NOW, "site": None, **kw}  # fmt: skip
    return issue_code(key, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("typ", ["id", "visitor", "pass", "health"])
def test_round_trip(key: object, verifier: Verifier, typ: str) -> None:
    health = "yellow" if typ == "health" else None
    claims = verifier.verify(code(key, typ=typ, health=health, once=typ == "visitor"), NOW)
    assert (claims.sub, claims.typ, claims.hs) == ("2021001", typ, health)
    assert claims.once is (typ == "visitor")
    assert claims.exp - claims.iat == timedelta(hours=1)


def _flip(text: str, index: int) -> str:
    raw = bytearray(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    raw[index] ^= 0x01
    return b64encode(bytes(raw))


def test_forged_signature_and_forged_payload(key: object, verifier: Verifier) -> None:
    prefix, payload, signature = code(key).split(".")
    with pytest.raises(InvalidCode):
        verifier.verify(f"{prefix}.{payload}.{_flip(signature, 5)}", NOW)
    document = json.loads(base64.urlsafe_b64decode(payload + "=="))
    document["sub"] = "someone-else"
    forged = b64encode(json.dumps(document, separators=(",", ":"), sort_keys=True).encode())
    with pytest.raises(InvalidCode):
        verifier.verify(f"{prefix}.{forged}.{signature}", NOW)


def test_other_key_with_the_same_kid(key: object, verifier: Verifier, tmp_path: Path) -> None:
    other = new_key(tmp_path / "other", now=NOW)
    impostor = type(other)(kid=key.kid, private=other.private)  # type: ignore[attr-defined]
    with pytest.raises(InvalidCode):
        verifier.verify(code(impostor), NOW)


def test_unknown_key(verifier: Verifier, tmp_path: Path) -> None:
    with pytest.raises(InvalidCode):
        verifier.verify(code(new_key(tmp_path / "elsewhere", now=NOW)), NOW)


def test_time_window(key: object, verifier: Verifier) -> None:
    c = code(key, ttl=timedelta(minutes=10))
    verifier.verify(c, NOW + timedelta(minutes=9, seconds=59))
    with pytest.raises(ExpiredCode):
        verifier.verify(c, NOW + timedelta(minutes=10))
    verifier.verify(c, NOW - timedelta(seconds=59))  # within the allowed clock skew
    with pytest.raises(NotYetValidCode):
        verifier.verify(c, NOW - timedelta(minutes=5))


def test_truncated_at_every_length(key: object, verifier: Verifier) -> None:
    c = code(key)
    for length in range(len(c)):
        with pytest.raises(CodeError):
            verifier.verify(c[:length], NOW)


def test_re_encoded_codes_are_refused(key: object, verifier: Verifier) -> None:
    prefix, payload, signature = code(key).split(".")
    padded = payload + "=" * (-len(payload) % 4 or 4)
    standard = signature.replace("-", "+").replace("_", "/")
    variants = [f"{prefix}.{padded}.{signature}", f"{prefix}.{payload}.{signature}=",
                f"CG2.{payload}.{signature}", f"{prefix}.{payload}.{signature}.x",
                f" {prefix}.{payload}.{signature}"]  # fmt: skip
    if standard != signature:
        variants.append(f"{prefix}.{payload}.{standard}")
    for variant in variants:
        with pytest.raises(InvalidCode):
            verifier.verify(variant, NOW)


def test_one_time_reuse(key: object, verifier: Verifier) -> None:
    c = code(key, typ="visitor", once=True)
    used = UsedCodes()
    first = check_code(verifier, c, NOW, used)
    assert first.status is CodeStatus.VALID
    assert first.jti is not None
    used.add(first.jti)
    assert check_code(verifier, c, NOW, used).status is CodeStatus.USED
    # A code that is not one-time may be shown again.
    reusable = code(key)
    used.add(check_code(verifier, reusable, NOW, used).jti or "")
    assert check_code(verifier, reusable, NOW, used).status is CodeStatus.VALID


def test_rotation_keeps_old_codes_until_retired(key: object, keys: Path) -> None:
    old_code = code(key)
    newer = new_key(keys, now=NOW)
    assert Verifier(KeyRing.load(keys)).verify(old_code, NOW).kid == key.kid  # type: ignore[attr-defined]
    assert Verifier(KeyRing.load(keys)).verify(code(newer), NOW).kid == newer.kid
    retire_key(keys, key.kid)  # type: ignore[attr-defined]
    with pytest.raises(InvalidCode):
        Verifier(KeyRing.load(keys)).verify(old_code, NOW)


@given(st.text(max_size=300))
def test_arbitrary_text_raises_only_code_error(text: str) -> None:
    verifier = Verifier(KeyRing({}))
    try:
        verifier.verify(text, NOW)
    except CodeError:
        return
    pytest.fail("an arbitrary string verified")


@given(st.text(max_size=120), st.text(max_size=120))
def test_arbitrary_cg1_shapes_raise_only_code_error(payload: str, signature: str) -> None:
    verifier = Verifier(KeyRing({}))
    with pytest.raises(CodeError):
        verifier.verify(f"CG1.{payload}.{signature}", NOW)


FIELDS = ["kid", "sub", "typ", "iat", "exp", "jti", "hs", "once"]
VALUES = st.none() | st.booleans() | st.integers() | st.text(max_size=8)


@given(st.dictionaries(st.sampled_from(FIELDS), VALUES))
def test_signed_but_malformed_payloads_raise_only_code_error(document: dict[str, object]) -> None:
    # Properly signed garbage must still be refused cleanly, not crash.
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private = Ed25519PrivateKey.generate()
    document = {**document, "kid": "k202611240000"}
    signed = "CG1." + b64encode(json.dumps(document).encode())
    c = signed + "." + b64encode(private.sign(signed.encode()))
    ring = KeyRing({"k202611240000": private.public_key()})
    with contextlib.suppress(CodeError):
        Verifier(ring).verify(c, NOW)


def test_verifier_and_decision_core_import_nothing_heavy() -> None:
    heavy = {"sqlalchemy", "paho", "pydantic_settings", "segno", "cv2", "numpy", "alembic",
             "psycopg", "serial", "zxingcpp"}  # fmt: skip
    script = "import kernel.codes, kernel.decision, sys; print(' '.join(sys.modules))"
    loaded = set(subprocess.check_output([sys.executable, "-c", script], text=True).split())
    assert not {m.split(".")[0] for m in loaded} & heavy
