"""My code on a 360 px phone: enrol from the letter, set a PIN, show a code that refreshes,
and have it admitted by the central worker and, offline, by the gate's snapshot decider.

Then the attacks: a used or expired link, PIN guessing (per person and per address),
a staff session or a forged cookie asking for someone's code, and hostile names.
"""

from __future__ import annotations

import base64
import re
import signal
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import httpx
import numpy as np
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from devices.code_reader.camera.decoders import make_decoder
from gateway.snapshot.local import LocalDecider
from gateway.snapshot.store import SnapshotStore
from kernel.clock import SystemClock
from kernel.codes import KeyRing, Verifier
from kernel.codes.keys import signing_keys
from kernel.codes.snapshots import snapshot_signer
from schemas.messages import Decision
from schemas.policy import Policy
from schemas.snapshot import encode
from services.broker_admin.local_broker import LocalBroker
from services.cli.main import main as campusgate
from services.enrolment.links import make_links
from services.snapshot.build import read_site, snapshot_for
from services.storage.engine import make_engine
from services.storage.models import PersonRow
from tests.fixtures.campus import Campus
from tests.fixtures.gate_client import DecisionClient
from tests.fixtures.passages import passage
from tests.fixtures.simulated_gate import make_lane
from tests.fixtures.snapshots import StartPublisher
from tests.fixtures.web_server import ShiftedClock, WebServer

pytestmark = pytest.mark.mqtt
PIN = "482913"


@pytest.fixture
def phone_web(
    make_server: Callable[..., WebServer], users: str, campus: Campus, web_clock: ShiftedClock
) -> WebServer:
    return make_server(users, clock=web_clock, keys_dir=str(campus.keys_dir),
                       mycode_refresh_s=2)  # fmt: skip


def decode(image: np.ndarray) -> list[str]:
    return [c.text for c in make_decoder("zxing", ["qr"]).decode(image)]


def letter_links(db: str, web: WebServer, tmp_path: Path, *people: str) -> list[str]:
    """Enrolment links as a person gets them: printed on a letter, read back from its QR."""
    letters = tmp_path / "letters.pdf"
    assert campusgate(["code", "enrol-links", "--db", db, "--out", str(letters),
                       "--base-url", web.url, "--person", *people]) == 0  # fmt: skip
    subprocess.run(["pdftoppm", "-r", "150", "-gray", "-png", str(letters),
                    str(tmp_path / "letter")], check=True, timeout=60)  # fmt: skip
    urls: list[str] = []
    for page in sorted(tmp_path.glob("letter-*.png")):
        urls += decode(cv2.imread(str(page), cv2.IMREAD_GRAYSCALE))
    return urls


def shown_code(page: Page) -> str:
    """The code as a gate's camera would read it: from a screenshot of the phone's screen."""
    png = page.locator("#me-qr").screenshot()
    frame = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    [code] = decode(frame)
    return code


def offline_gate(db: str, campus: Campus, site: str, tmp_path: Path) -> LocalDecider:
    """The gate's offline decider over a snapshot signed and installed as a gate gets it."""
    now = datetime.now(UTC)
    engine = make_engine(db)
    try:
        with Session(engine) as session:
            data = read_site(session=session, site=site, now=now)
    finally:
        engine.dispose()
    ring = KeyRing.load(campus.keys_dir)
    snap = snapshot_for(data, site=site, gate="north-1", policy=Policy(site=site),
                        keyring=ring, now=now)  # fmt: skip
    store = SnapshotStore(tmp_path / "gate-snapshot", site=site, gate="north-1", trusted=ring,
                          clock=SystemClock())  # fmt: skip
    assert store.install(encode(snap, snapshot_signer(signing_keys(campus.keys_dir)))[0])
    return LocalDecider(store, clock=SystemClock(), locked=lambda: False,
                        last_contact=lambda: None)  # fmt: skip


def test_a_phone_enrols_shows_a_refreshing_code_and_gates_admit_it(
    phone_web: WebServer, campus: Campus, users: str, site: str, central: object,
    gate: DecisionClient, new_page: Callable[..., Page], tmp_path: Path,
) -> None:  # fmt: skip
    person = campus.people[0]
    [url] = letter_links(users, phone_web, tmp_path, person.person_id)
    page = new_page(360, 740)
    page.goto(url)
    expect(page.locator("#enrol-name")).to_have_text(person.name)
    page.fill("#pin", PIN)
    page.fill("#pin2", PIN)
    page.click("#enrol-submit")
    qr = page.locator("#me-qr")
    expect(qr).to_have_attribute("data-code", re.compile(r"^CG1\."))
    first = qr.get_attribute("data-code")
    assert first is not None
    expect(page.locator("#me-name")).to_have_text(person.name)
    expect(page.locator("#me-status")).to_have_attribute("data-status", "none")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scroll
    assert shown_code(page) == first
    # The page re-signs it by itself: wait for the new code in the DOM, not for a time.
    expect(qr).not_to_have_attribute("data-code", first, timeout=20_000)
    second = shown_code(page)
    assert second != first
    claims = Verifier(KeyRing.load(campus.keys_dir), site=site).verify(second, datetime.now(UTC))
    assert (claims.sub, claims.typ) == (person.person_id, "id")
    assert timedelta(seconds=60) <= claims.exp - claims.iat <= timedelta(seconds=90)
    decision = gate.request(passage(site, second))
    assert decision is not None
    assert (decision.decision, decision.reasons) == ("admit", [])
    offline = offline_gate(users, campus, site, tmp_path).decide(passage(site, second))
    assert (offline.decision, offline.reasons) == ("admit", [])
    expect(page.locator("#me-status")).to_have_attribute("data-status", "admitted",
                                                         timeout=20_000)  # fmt: skip


def enrol(client: httpx.Client, url: str, pin: str = PIN) -> httpx.Response:
    return client.post(url, data={"pin": pin, "pin2": pin})


def sign_in(client: httpx.Client, person_id: str, pin: str) -> httpx.Response:
    form = client.get("/me").text
    token = form.split('name="login_csrf" value="')[1].split('"')[0]
    return client.post("/me/login", data={"person_id": person_id, "pin": pin,
                                          "login_csrf": token})  # fmt: skip


def test_links_work_once_and_not_after_they_expire(
    phone_web: WebServer, campus: Campus, users: str, web_clock: ShiftedClock, tmp_path: Path
) -> None:
    a, b = campus.people[1].person_id, campus.people[2].person_id
    url_a, url_b = letter_links(users, phone_web, tmp_path, a, b)
    with httpx.Client(base_url=phone_web.url) as client:
        assert enrol(client, url_a, "12").status_code == 422  # too short; the link still works
        assert enrol(client, url_a).status_code == 303
        assert client.get("/me/code").status_code == 200
    with httpx.Client(base_url=phone_web.url) as thief:
        assert thief.get(url_a).status_code == 404  # used
        assert enrol(thief, url_a, "999999").status_code == 404
        assert sign_in(thief, a, "999999").status_code == 401  # the thief's PIN was not set
        assert thief.get("/me/code").status_code == 401
    web_clock.advance(timedelta(days=15))  # links live 14 days
    with httpx.Client(base_url=phone_web.url) as late:
        assert late.get(url_b).status_code == 404
        assert enrol(late, url_b).status_code == 404


def test_pin_guessing_locks_the_person_then_the_address(
    phone_web: WebServer, campus: Campus, users: str, tmp_path: Path
) -> None:
    victim = campus.people[3].person_id
    [url] = letter_links(users, phone_web, tmp_path, victim)
    with httpx.Client(base_url=phone_web.url) as owner:
        assert enrol(owner, url).status_code == 303
    with httpx.Client(base_url=phone_web.url) as guesser:
        for guess in range(5):
            assert sign_in(guesser, victim, f"{guess:06d}").status_code == 401
        assert sign_in(guesser, victim, PIN).status_code == 429  # locked, the right PIN too
        for n in range(15):  # other people from the same address
            sign_in(guesser, campus.people[10 + n].person_id, "000000")
        assert sign_in(guesser, campus.people[4].person_id, "000000").status_code == 429


def test_nobody_else_gets_a_persons_code(
    phone_web: WebServer, campus: Campus, users: str, tmp_path: Path
) -> None:
    person = campus.people[5].person_id
    [url] = letter_links(users, phone_web, tmp_path, person)
    for staff in ("guard-n1", "nurse", "auditor", "admin"):
        with phone_web.client(staff) as client:
            assert client.get("/me/code").status_code == 401, staff
    with httpx.Client(base_url=phone_web.url) as owner:
        assert enrol(owner, url).status_code == 303
        cookie = owner.cookies["cg_me"]
    encoded, expires, mac = cookie.split(".")
    other = base64.urlsafe_b64encode(campus.people[6].person_id.encode()).decode().rstrip("=")
    for forged in (f"{other}.{expires}.{mac}", f"{encoded}.{int(expires) + 99999}.{mac}",
                   f"{encoded}.{expires}.{'0' * 64}", "x", ""):  # fmt: skip
        with httpx.Client(base_url=phone_web.url, cookies={"cg_me": forged}) as client:
            assert client.get("/me/code").status_code == 401, forged
    # A new link and PIN sign every older session out.
    (tmp_path / "again").mkdir()
    [again] = letter_links(users, phone_web, tmp_path / "again", person)
    with httpx.Client(base_url=phone_web.url) as phone:
        assert enrol(phone, again, "777777").status_code == 303
    with httpx.Client(base_url=phone_web.url, cookies={"cg_me": cookie}) as old:
        assert old.get("/me/code").status_code == 401


def test_a_hostile_name_is_shown_as_text(
    phone_web: WebServer, users: str, site: str, new_page: Callable[..., Page]
) -> None:
    hostile = '<img src=x onerror="document.body.dataset.pwned=1">' + "名" * 150
    engine = make_engine(users)
    try:
        with Session(engine) as session, session.begin():
            session.add(PersonRow(
                person_id=f"{site}-x", name=hostile, kind="student", unit="<b>unit</b>",
                id_hash="0" * 64, id_last4="0000", household=None, gates="*", active=True,
                return_approved=True, updated_at=datetime.now(UTC)))  # fmt: skip
            person = session.get(PersonRow, f"{site}-x")
            assert person is not None
            [link] = make_links(session, [person], now=datetime.now(UTC))
    finally:
        engine.dispose()
    page = new_page(360, 740)
    page.goto(f"{phone_web.url}/me/enrol/{link.token}")
    expect(page.locator("#enrol-name")).to_have_text(hostile)
    page.fill("#pin", PIN)
    page.fill("#pin2", PIN)
    page.click("#enrol-submit")
    expect(page.locator("#me-name")).to_have_text(hostile)
    assert page.evaluate("document.body.dataset.pwned") is None
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


@pytest.mark.slow
def test_the_phones_code_is_admitted_by_a_real_gate_agent_offline(
    phone_web: WebServer, campus: Campus, users: str, site: str, own_broker: LocalBroker,
    start_publisher: StartPublisher, tmp_path: Path,
) -> None:  # fmt: skip
    """The gate agent (lane loop, snapshot store, offline decider) with the broker killed."""
    person = campus.people[7]
    start_publisher(policy_version=1)
    gate_keys = tmp_path / "gate" / "site-keys"
    assert campusgate(["keys", "export", "--dir", str(campus.keys_dir),
                       "--out", str(gate_keys)]) == 0  # fmt: skip
    lane = make_lane(own_broker.url, site=site, gate="north-1", workdir=tmp_path / "gate",
                     site_keys=gate_keys)  # fmt: skip
    lane.agent.start()
    try:
        lane.wait_snapshot()
        engine = make_engine(users)
        try:
            with Session(engine) as session, session.begin():
                row = session.get(PersonRow, person.person_id)
                assert row is not None
                [link] = make_links(session, [row], now=datetime.now(UTC))
        finally:
            engine.dispose()
        with httpx.Client(base_url=phone_web.url) as phone:
            assert enrol(phone, f"/me/enrol/{link.token}").status_code == 303
            code = phone.get("/me/code").json()["code"]
        own_broker.stop(signal.SIGKILL)  # the central side is out of reach
        passage = lane.person(code, expect="admit")
        found: list[Decision] = []

        def decided() -> bool:
            found[:] = [d for d in lane.decisions if d.event_id == passage.event_id]
            return bool(found)

        lane.wait_for(decided)
        assert (found[0].decision, found[0].reasons) == ("admit", [])
        assert found[0].person is not None
        assert found[0].person.id == person.person_id
    finally:
        lane.agent.stop()
