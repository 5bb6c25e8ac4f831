"""The central's CodeChecker: the same facts as verifying each code afresh, however it is asked."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kernel.codes import CodeChecker, KeyRing, Verifier, issue_code, new_key, verify_facts
from kernel.codes.keys import SigningKey
from kernel.decision import CodeStatus

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


@pytest.fixture
def key(tmp_path: Path) -> SigningKey:
    return new_key(tmp_path / "keys", now=NOW)


@pytest.fixture
def verifier(key: SigningKey, tmp_path: Path) -> Verifier:
    return Verifier(KeyRing.load(tmp_path / "keys"))


@pytest.fixture
def checker(verifier: Verifier) -> Iterator[CodeChecker]:
    checker = CodeChecker(verifier, remember=64)
    yield checker
    checker.close()


def issue(key: SigningKey, subject: str, **kw: object) -> str:
    fields: dict[str, object] = {"subject": subject, "typ": "id", "ttl": timedelta(minutes=10),
                                 "now": NOW, "site": None, **kw}  # fmt: skip
    return issue_code(key, **fields)  # type: ignore[arg-type]


def forge(code: str) -> str:
    prefix, payload, signature = code.split(".")
    return f"{prefix}.{payload}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"


def test_same_facts_as_a_fresh_verification_for_every_kind_of_code(
    key: SigningKey, verifier: Verifier, checker: CodeChecker
) -> None:
    codes = [
        issue(key, "S1"),
        issue(key, "S2", typ="visitor", once=True),
        issue(key, "S3", typ="health", health="red"),
        forge(issue(key, "S4")),
        issue(key, "S5", now=NOW - timedelta(hours=1)),  # expired
        issue(key, "S6", now=NOW + timedelta(hours=1)),  # not yet valid
        "CG1.not.a-code",
        "",
    ]
    checker.check_signatures(codes[:3])
    for code in codes:
        assert checker(code, NOW) == verify_facts(verifier, code, NOW)
        assert checker(code, NOW) == verify_facts(verifier, code, NOW)  # from memory


def test_the_validity_window_is_checked_again_at_every_use(
    key: SigningKey, checker: CodeChecker
) -> None:
    code = issue(key, "S1")
    assert checker(code, NOW).status is CodeStatus.VALID
    assert checker(code, NOW + timedelta(minutes=11)).status is CodeStatus.EXPIRED
    assert checker(code, NOW - timedelta(hours=1)).status is CodeStatus.NOT_YET_VALID


def test_a_forged_code_stays_invalid_however_often_it_is_shown(
    key: SigningKey, checker: CodeChecker
) -> None:
    good = issue(key, "S1")
    bad = forge(good)
    checker.check_signatures([bad, good])
    for _ in range(3):
        assert checker(bad, NOW).status is CodeStatus.INVALID
        assert checker(good, NOW).status is CodeStatus.VALID


def test_a_batch_large_enough_for_two_threads_gives_the_same_facts(
    key: SigningKey, verifier: Verifier, checker: CodeChecker
) -> None:
    codes = [issue(key, f"S{i}") for i in range(40)]
    codes += [forge(issue(key, f"F{i}")) for i in range(9)]
    checker.check_signatures(codes)
    assert [checker(c, NOW) for c in codes] == [verify_facts(verifier, c, NOW) for c in codes]


def test_memory_is_bounded_and_keeps_the_most_recently_used(
    key: SigningKey, verifier: Verifier
) -> None:
    checker = CodeChecker(verifier, remember=4, threads=1)
    first, *others = [issue(key, f"S{i}") for i in range(6)]
    checker(first, NOW)
    for code in others:
        checker(first, NOW)  # used again and again: kept
        checker(code, NOW)
    assert len(checker._signed) == 4
    assert first in checker._signed
    assert others[0] not in checker._signed
    # Forgotten is only slower: the facts are the same.
    assert checker(others[0], NOW) == verify_facts(verifier, others[0], NOW)


@given(st.lists(st.text(max_size=200), max_size=20))
def test_arbitrary_text_is_invalid_never_an_exception(texts: list[str]) -> None:
    checker = CodeChecker(Verifier(KeyRing({})), remember=8, threads=1)
    checker.check_signatures(texts)
    assert {checker(text, NOW).status for text in texts} <= {CodeStatus.INVALID}
