"""The look-up on the gate's own kiosk (issue 20) over real HTTP: found by person id, card,
ID number (the snapshot's keyed hash) or name; masked; a manual passage by the guard of the
session; anonymous, forged, another guard's ref, hostile text and a roster dump refused."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher

from gateway.kiosk import lookup as local
from gateway.kiosk.server import KioskServer
from kernel.plain_ids import plain_id_hasher
from schemas.snapshot import ID_HASH_HEX, GateSnapshot, SnapshotGuard, SnapshotPerson
from services.web.gates import lookup as central
from tests.fixtures.local_kiosk import (
    RecordingLane,
    StartKiosk,
    csrf_of,
    kiosk_snapshot,
    sign_in,
)

PASSWORD = "gate-guard-password-1"
HASH = plain_id_hasher(b"site id hash key, 16+ bytes")
ID_NUMBER = "11010519491231002X"
CARD = "0A1B2C3D"
LOOKUP = "/api/v1/gates/north-1/lookup"
MANUAL = "/api/v1/gates/north-1/manual-passage"


@pytest.fixture(scope="module")
def guards() -> list[SnapshotGuard]:
    hashed = PasswordHasher().hash(PASSWORD)
    return [SnapshotGuard(username=name, password_hash=hashed) for name in ("guard-n1", "guard-n2")]


def person(pid: str, name: str, **more: Any) -> SnapshotPerson:
    fields = {"masked_id": "*" * 14 + pid[-4:], **more}
    return SnapshotPerson(id=pid, name=name, kind="student", **fields)


PEOPLE = [
    person("S10001", "欧阳娜娜", id_hash=HASH(ID_NUMBER)[:ID_HASH_HEX], card_no=CARD,
           masked_id="**************002X"),
    person("S10002", "王小明", gates=["north-1"]),
    person("S10003", "王小红", gates=["south-2"]),  # another gate's: never found here
    person("S10004", "王小军", active=False),
]  # fmt: skip


def kiosk(
    start_kiosk: StartKiosk, guards: list[SnapshotGuard], *, accept: bool = True
) -> tuple[KioskServer, RecordingLane]:
    recorder = RecordingLane()
    snapshot: GateSnapshot = kiosk_snapshot(PEOPLE, accept_plain_ids=accept)
    server = start_kiosk(guards=guards, recorder=recorder, snapshot=snapshot, hash_plain_id=HASH)
    return server, recorder


def look(client: httpx.Client, query: str, token: str) -> httpx.Response:
    return client.get(LOOKUP, params={"q": query}, headers={"X-CSRF-Token": token})


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("S10001", ["S10001"]),
        ("0a1b2c3d", ["S10001"]),  # the card number, as a reader or a guard writes it
        (ID_NUMBER, ["S10001"]),  # through the keyed hash: the number is nowhere
        ("110105194912310021", []),  # another number: its hash matches nobody
        ("阳娜", ["S10001"]),  # a part of a Chinese name
        ("S1000", []),  # a person id matches whole
        ("王", []),  # one character is no part of a name: whole names only
        ("王小", ["S10002"]),  # not south-2's person, not the inactive one
        ("Ｓ１０００２", ["S10002"]),  # full-width, as an IME types it
    ],
)
def test_a_guard_finds_people_of_this_gate_by_number_card_id_or_name(
    start_kiosk: StartKiosk, guards: list[SnapshotGuard], query: str, found: list[str]
) -> None:
    server, _ = kiosk(start_kiosk, guards)
    client, _ = sign_in(server, "guard-n1", PASSWORD)
    answer = look(client, query, csrf_of(client))
    assert answer.status_code == 200, answer.text
    results = answer.json()
    shown = {"S10001": "欧阳娜娜", "S10002": "王小明"}
    assert [r["name"] for r in results] == [shown[pid] for pid in found]
    text = json.dumps(results, ensure_ascii=False)
    for secret in ("S10001", "S10002", ID_NUMBER, CARD, HASH(ID_NUMBER)[:ID_HASH_HEX]):
        assert secret not in text  # masked person ids; never a number, card or hash
    if found:
        assert results[0]["masked_person_id"] == found[0][:2] + "**" + found[0][-2:]
        assert results[0]["masked_id"].endswith(found[0][-4:] if found[0] != "S10001" else "002X")


def test_the_guard_sends_a_manual_passage_for_the_person_found(
    start_kiosk: StartKiosk, guards: list[SnapshotGuard]
) -> None:
    server, recorder = kiosk(start_kiosk, guards)
    client, _ = sign_in(server, "guard-n1", PASSWORD)
    token = csrf_of(client)
    [found] = look(client, ID_NUMBER, token).json()
    # The guard's name comes from the session, never from the body.
    body = {"ref": found["ref"], "celsius": "36.6", "by": "admin"}
    sent = client.post(MANUAL, json=body, headers={"X-CSRF-Token": token})
    assert sent.status_code == 200, sent.text
    assert uuid.UUID(sent.json()["event_id"])
    assert recorder.calls == [("manual", ("S10001", Decimal("36.6"), "guard-n1", True))]
    for bad in ({"celsius": "36.6"}, {"ref": found["ref"], "celsius": "NaN"},
                {"ref": found["ref"], "celsius": "36.6", "mask": "yes"},
                {"ref": ["x"], "celsius": "36.6"}):  # fmt: skip
        answer = client.post(MANUAL, json=bad, headers={"X-CSRF-Token": token})
        assert (answer.status_code, answer.json()["error"]) == (422, "invalid_input"), bad
    assert len(recorder.calls) == 1


def test_a_ref_is_the_guards_own_and_a_forged_one_is_nothing(
    start_kiosk: StartKiosk, guards: list[SnapshotGuard]
) -> None:
    server, recorder = kiosk(start_kiosk, guards)
    first, _ = sign_in(server, "guard-n1", PASSWORD)
    [found] = look(first, "S10002", csrf_of(first)).json()
    second, _ = sign_in(server, "guard-n2", PASSWORD)
    token = csrf_of(second)
    theirs = second.post(MANUAL, json={"ref": found["ref"], "celsius": "36.6"},
                         headers={"X-CSRF-Token": token})  # fmt: skip
    assert (theirs.status_code, theirs.json()["error"]) == (403, "forbidden_gate")
    forged = second.post(MANUAL, json={"ref": found["ref"][:-2] + "xx", "celsius": "36.6"},
                         headers={"X-CSRF-Token": token})  # fmt: skip
    assert (forged.status_code, forged.json()["error"]) == (409, "lookup_expired")
    assert recorder.calls == []


def test_refused_when_the_policy_takes_no_typed_ids(
    start_kiosk: StartKiosk, guards: list[SnapshotGuard]
) -> None:
    server, recorder = kiosk(start_kiosk, guards, accept=False)
    client, _ = sign_in(server, "guard-n1", PASSWORD)
    token = csrf_of(client)
    [found] = look(client, "S10002", token).json()
    answer = client.post(MANUAL, json={"ref": found["ref"], "celsius": "36.5"},
                         headers={"X-CSRF-Token": token})  # fmt: skip
    assert (answer.status_code, answer.json()["error"]) == (409, "plain_ids_refused")
    assert recorder.calls == []


def test_anonymous_forged_and_other_gates_calls_are_refused(
    start_kiosk: StartKiosk, guards: list[SnapshotGuard]
) -> None:
    server, recorder = kiosk(start_kiosk, guards)
    with httpx.Client(base_url=server.url, timeout=10.0) as anonymous:
        answer = anonymous.get(LOOKUP, params={"q": "S10001"})
        assert (answer.status_code, answer.json()["error"]) == (401, "not_authenticated")
        sent = anonymous.post(MANUAL, json={"ref": "x", "celsius": "36.6"})
        assert sent.status_code == 401
    client, _ = sign_in(server, "guard-n1", PASSWORD)
    token = csrf_of(client)
    no_csrf = client.get(LOOKUP, params={"q": "S10001"})  # a look-up from another site
    assert (no_csrf.status_code, no_csrf.json()["error"]) == (403, "bad_csrf")
    elsewhere = client.get("/api/v1/gates/south-2/lookup", params={"q": "王小"},
                           headers={"X-CSRF-Token": token})  # fmt: skip
    assert (elsewhere.status_code, elsewhere.json()["error"]) == (403, "forbidden_gate")
    assert "王小红" not in elsewhere.text
    photo = client.get(f"{LOOKUP}/photo", params={"ref": "x"}, headers={"X-CSRF-Token": token})
    assert photo.status_code == 404  # the snapshot carries no photos
    assert recorder.calls == []


@pytest.mark.parametrize(
    "query",
    ["", "   ", "S" * 65, "x" * 5000, "S10001\x00", "\x00", "王小\n", "S1\x1b[2J", "\u202eS10001",
     "a\tb"],
)  # fmt: skip
def test_hostile_queries_get_a_clear_422_and_nothing_else(
    start_kiosk: StartKiosk, guards: list[SnapshotGuard], query: str
) -> None:
    server, _ = kiosk(start_kiosk, guards)
    client, _ = sign_in(server, "guard-n1", PASSWORD)
    answer = look(client, query, csrf_of(client))
    assert answer.status_code == 422
    assert answer.json()["error"] == "invalid_input"
    assert "S10001" not in answer.text
    assert "欧阳" not in answer.text


@pytest.mark.parametrize(
    "query", ["' OR 1=1 --", "<script>alert(1)</script>", "%", "_", "*", "S1000%", ".*", "\\"]
)
def test_sql_and_html_find_nobody(
    start_kiosk: StartKiosk, guards: list[SnapshotGuard], query: str
) -> None:
    server, _ = kiosk(start_kiosk, guards)
    client, _ = sign_in(server, "guard-n1", PASSWORD)
    answer = look(client, query, csrf_of(client))
    assert (answer.status_code, answer.json()) == (200, [])
    assert answer.headers["content-type"] == "application/json"


def test_queries_over_many_fields_or_broken_encoding_are_refused(
    start_kiosk: StartKiosk, guards: list[SnapshotGuard]
) -> None:
    server, _ = kiosk(start_kiosk, guards)
    client, _ = sign_in(server, "guard-n1", PASSWORD)
    headers = {"X-CSRF-Token": csrf_of(client)}
    many = client.get(f"{LOOKUP}?" + "&".join(f"q{i}=1" for i in range(50)), headers=headers)
    assert many.status_code == 422
    broken = client.get(f"{LOOKUP}?q=%ff%fe", headers=headers)
    assert (broken.status_code, broken.json()) == (200, [])  # U+FFFD matches no one


def test_a_guard_cannot_dump_the_snapshot(
    start_kiosk: StartKiosk, guards: list[SnapshotGuard]
) -> None:
    server, _ = kiosk(start_kiosk, guards)
    client, _ = sign_in(server, "guard-n1", PASSWORD)
    token = csrf_of(client)
    for index in range(local.LOOKUPS_PER_WINDOW):
        assert look(client, f"S{index:05d}", token).status_code == 200
    refused = look(client, "S10001", token)
    assert (refused.status_code, refused.json()["error"]) == (429, "lookup_limit")
    assert 0 < int(refused.headers["retry-after"]) <= 600
    other, _ = sign_in(server, "guard-n2", PASSWORD)  # the limit is per guard
    assert look(other, "S10001", csrf_of(other)).status_code == 200


def test_the_limits_are_the_central_kiosks() -> None:
    assert local.LOOKUPS_PER_WINDOW == central.LOOKUPS_PER_WINDOW
    assert local.LOOKUPS_PER_DAY == central.LOOKUPS_PER_DAY
    assert central.LOOKUP_WINDOW.total_seconds() == local.LOOKUP_WINDOW_S
    assert local.REF_TTL_S == central.REF_TTL_S
