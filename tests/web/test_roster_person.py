"""One person at a time from the web (issue 15, build 4): the JSON API the roster page uses,
attacked with hostile text, bad photos and a cut-off sync file; each change audit-logged."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from services.roster.photos import MAX_PHOTO_BYTES
from services.storage.engine import make_engine
from services.storage.models import AuditLogRow, PersonRow
from services.storage.photo_models import PersonPhotoRow
from tests.fixtures.photos import image_bytes, photo_zip
from tests.fixtures.web_server import WebServer

pytestmark = pytest.mark.mqtt

R = "/api/v1/roster/persons"
GOOD_ID = "11010519491231002X"
HOSTILE = '<script>alert("x")</script>\'; DROP TABLE persons;--'


@pytest.fixture
def engine(users: str) -> Iterator[Engine]:
    engine = make_engine(users)
    yield engine
    engine.dispose()


def person(**values: str) -> dict[str, Any]:
    base = {"person_id": "W1", "name": "王新", "kind": "staff", "id_number": GOOD_ID}
    return {"values": {**base, **values}, "reason": "joined today"}


def test_add_edit_photo_deactivate_through_the_api(web: WebServer, engine: Engine) -> None:
    with web.client("admin") as admin:
        made = admin.post(R, json=person(card_no="c0ffee01", dormitory=HOSTILE[:100]))
        assert made.status_code == 201, made.text
        assert made.json()["masked_id"].endswith("002X")
        assert GOOD_ID not in made.text
        edited = admin.patch(f"{R}/W1", json={"values": {"phone": "13800001111"},
                                              "reason": "phone given"})  # fmt: skip
        assert edited.json()["phone"] == "13800001111"
        photo = admin.put(f"{R}/W1/photo", files={"file": ("me.png", image_bytes("PNG"))},
                          data={"reason": "photo day"})  # fmt: skip
        assert photo.status_code == 200, photo.text
        assert photo.json()["has_photo"] is True
        got = admin.get(f"{R}/W1/photo", params={"thumb": "true"})
        assert got.headers["content-type"] == "image/jpeg"
        assert got.content.startswith(b"\xff\xd8")
        gone = admin.post(f"{R}/W1/deactivate", json={"reason": "left"})
        assert gone.json()["active"] is False
    with Session(engine) as session:
        stored = session.get(PersonRow, "W1")
        assert stored is not None
        assert (stored.card_no, stored.dormitory) == ("C0FFEE01", HOSTILE[:100])
        log = session.execute(select(AuditLogRow.actor, AuditLogRow.action, AuditLogRow.params_json)
                              .where(AuditLogRow.target == "W1")).all()  # fmt: skip
    assert [a for _, a, _ in log] == ["roster.person.add", "roster.person.edit",
                                      "roster.person.edit", "roster.person.deactivate"]  # fmt: skip
    assert {who for who, _, _ in log} == {"admin"}
    assert json.loads(log[-1][2])["reason"] == "left"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (person(name="x" * 200), "longer than 100"),
        (person(person_id="a/b"), "person id"),
        (person(id_number="E12345678", doc_type="cn_id"), "17 digits"),
        (person(id_number="12", doc_type="护照"), "passport"),
        ({"values": {"person_id": "W2"}, "reason": ""}, ""),
        ({"values": {"person_id": "W2", "evil": "1"}, "reason": "x"}, ""),
    ],
)
def test_bad_values_are_refused_and_nothing_is_stored(
    web: WebServer, engine: Engine, body: dict[str, Any], words: str
) -> None:
    with web.client("admin") as admin:
        answer = admin.post(R, json=body)
    assert answer.status_code == 422, answer.text
    assert words in json.dumps(answer.json(), ensure_ascii=False)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(PersonRow)) == 0


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"GIF89a" + b"\0" * 64, "not a JPEG or PNG"),
        (b"\xff\xd8" + b"\0" * (MAX_PHOTO_BYTES + 1), "over the"),
        (HOSTILE.encode(), "not a JPEG or PNG"),
    ],
)
def test_a_photo_that_is_not_an_image_is_refused(
    web: WebServer, engine: Engine, content: bytes, words: str
) -> None:
    with web.client("admin") as admin:
        assert admin.post(R, json=person()).status_code == 201
        answer = admin.put(f"{R}/W1/photo", files={"file": ("x.jpg", content)},
                           data={"reason": "try"})  # fmt: skip
    assert answer.status_code == 422
    assert words in answer.json()["detail"]
    with Session(engine) as session:
        assert session.scalar(select(func.count()).where(AuditLogRow.action.like("%edit"))) == 0


def test_hostile_paths_and_other_roles(web: WebServer) -> None:
    with web.client("admin") as admin:
        for path in ("..%2F..%2Fetc%2Fpasswd", "%00", "x" * 65):
            assert admin.get(f"{R}/{path}").status_code in (404, 422)
    for role in ("guard-n1", "nurse", "auditor", "officer"):
        with web.client(role) as other:
            assert other.post(R, json=person()).status_code == 403
            assert other.get(f"{R}/W1/photo").status_code == 403
    with web.client() as anonymous:
        assert anonymous.post(R, json=person()).status_code == 401


def upload(web: WebServer, rows: list[str], **params: str) -> Any:
    content = ("person_id,name,kind,id_number\n" + "\n".join(rows) + "\n").encode()
    with web.client("admin") as admin:
        files = {"file": ("roster.csv", content, "text/csv")}
        return admin.post("/api/v1/roster/import", params=params, files=files)


def test_a_cut_off_file_cannot_deactivate_the_campus_from_the_web(
    web: WebServer, engine: Engine
) -> None:
    rows = [f"S{i},P{i},student,{GOOD_ID}" for i in range(20)]
    assert upload(web, rows, dry_run="false").status_code == 200
    checked = upload(web, rows[:3], sync="true")
    assert any("17 of 20" in w for w in checked.json()["warnings"])
    refused = upload(web, rows[:3], sync="true", dry_run="false")
    assert refused.status_code == 409
    assert refused.json()["error"] == "sync_refused"
    with Session(engine) as session:
        assert session.scalar(select(func.count()).where(PersonRow.active)) == 20
    forced = upload(web, rows[:3], sync="true", dry_run="false", force="true")
    assert forced.json()["deactivated"] == 17


def test_the_web_import_takes_a_zip_of_photos_and_refuses_a_hostile_one(
    web: WebServer, engine: Engine, tmp_path: Path
) -> None:
    content = f"person_id,name,kind,id_number,photo\nS1,A,student,{GOOD_ID},\n".encode()
    good = photo_zip(tmp_path / "good.zip", {"S1.jpg": image_bytes()})
    escape = photo_zip(tmp_path / "escape.zip", {"../../S1.jpg": image_bytes()})
    path_row = f"person_id,name,kind,id_number,photo\nS2,B,student,{GOOD_ID},/etc/passwd\n"
    with web.client("admin") as admin:

        def send(roster: bytes, photos: Path | None) -> Any:
            files = {"file": ("r.csv", roster, "text/csv")}
            if photos is not None:
                files["photos"] = ("p.zip", photos.read_bytes(), "application/zip")
            return admin.post("/api/v1/roster/import", params={"dry_run": "false"}, files=files)

        refused = send(content, escape)
        assert refused.status_code == 422
        assert "outside the archive" in refused.json()["detail"]
        assert send(content, good).json()["written"] is True
        by_path = send(path_row.encode(), None).json()
        assert "command line" in by_path["errors"][0]["reason"]
    with Session(engine) as session:
        assert session.get(PersonPhotoRow, "S1") is not None
        assert session.get(PersonRow, "S2") is None
