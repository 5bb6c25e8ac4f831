"""Signed codes (DESIGN section 5). Light to import: the gate verifies offline with it."""

from kernel.codes.claims import Claims
from kernel.codes.issue import DEFAULT_TTL, IssuedCode, issue, issue_code, parse_ttl
from kernel.codes.keys import KeyRing, SigningKey, load_signing_key, new_key, retire_key
from kernel.codes.reload import KEYS_RELOAD_S, LiveKeys
from kernel.codes.verify import CodeChecker, UsedCodes, Verifier, check_code, verify_facts

__all__ = [
    "DEFAULT_TTL",
    "KEYS_RELOAD_S",
    "Claims",
    "CodeChecker",
    "IssuedCode",
    "KeyRing",
    "LiveKeys",
    "SigningKey",
    "UsedCodes",
    "Verifier",
    "check_code",
    "issue",
    "issue_code",
    "load_signing_key",
    "new_key",
    "parse_ttl",
    "retire_key",
    "verify_facts",
]
