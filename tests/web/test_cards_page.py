"""'Print cards for this unit' on the roster page: the administrator's download, decoded back.

Only the administrator may print (every other role: 403, anonymous: 401, no CSRF
token: 403); the PDF's QR codes verify with the site's keys and are in the
register of issued codes; hostile unit names come back as a clean 404.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import cv2
import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from devices.code_reader.camera.decoders import make_decoder
from kernel.codes import KeyRing, Verifier
from services.storage.engine import make_engine
from services.storage.enrol_models import IssuedCodeRow
from tests.fixtures.browser import sign_in
from tests.fixtures.campus import Campus, make_campus
from tests.fixtures.web_server import WebServer

pytestmark = pytest.mark.mqtt


@pytest.fixture
def printing(
    make_server: Callable[..., WebServer], users: str, tmp_path: Path, site: str
) -> tuple[WebServer, Campus]:
    campus = make_campus(users, tmp_path / "keys", site=site)
    return make_server(users, keys_dir=str(campus.keys_dir)), campus


def decode_pdf(pdf: bytes, folder: Path) -> list[str]:
    (folder / "cards.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "200", "-gray", "-png", str(folder / "cards.pdf"),
                    str(folder / "p")], check=True, timeout=120)  # fmt: skip
    decoder = make_decoder("zxing", ["qr"])
    codes: list[str] = []
    for page in sorted(folder.glob("p-*.png")):
        codes += [c.text for c in decoder.decode(cv2.imread(str(page), cv2.IMREAD_GRAYSCALE))]
    return codes


def issued(db: str) -> int:
    engine = make_engine(db)
    try:
        with Session(engine) as session:
            return int(session.scalar(select(func.count()).select_from(IssuedCodeRow)) or 0)
    finally:
        engine.dispose()


def test_the_admin_downloads_a_units_cards_and_nobody_else_may(
    printing: tuple[WebServer, Campus], users: str, site: str, tmp_path: Path
) -> None:
    web, campus = printing
    unit = campus.people[0].unit
    body = {"unit": unit, "lang": "zh"}
    for name in ("guard-n1", "nurse", "auditor", "officer"):
        with web.client(name) as client:
            assert client.post("/api/v1/roster/cards", json=body).status_code == 403, name
            assert client.get("/admin/roster").status_code == 403, name
    assert httpx.post(f"{web.url}/api/v1/roster/cards", json=body).status_code == 401
    with web.client("admin") as admin:
        no_csrf = httpx.post(f"{web.url}/api/v1/roster/cards", json=body,
                             cookies=admin.cookies)  # fmt: skip
        assert no_csrf.status_code == 403
        assert issued(users) == 0
        for hostile in ("<script>alert(1)</script>", "../../etc", "x" * 201, "", "a\x00b"):
            status = admin.post("/api/v1/roster/cards", json={"unit": hostile}).status_code
            assert status in (404, 422), hostile
        response = admin.post("/api/v1/roster/cards", json=body)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert "attachment" in response.headers["content-disposition"]
    verifier = Verifier(KeyRing.load(campus.keys_dir), site=site)
    subs = sorted(verifier.verify(c, datetime.now(UTC)).sub
                  for c in decode_pdf(response.content, tmp_path))  # fmt: skip
    assert subs == sorted(p.person_id for p in campus.people if p.unit == unit)
    assert issued(users) == len(subs)


def test_the_roster_page_offers_its_units_and_downloads_the_pdf(
    printing: tuple[WebServer, Campus], new_page: Callable[..., Page]
) -> None:
    web, campus = printing
    page = new_page()
    sign_in(page, web, "admin", then="/admin/roster", live=False)
    unit = campus.people[0].unit
    page.select_option("#cards-unit", unit)
    with page.expect_download() as download:
        page.click("#cards-print")
    assert download.value.suggested_filename == "cards.pdf"
    expect(page.locator("#cards-result")).to_have_class("ok")
