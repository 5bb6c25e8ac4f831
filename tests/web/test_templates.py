"""Every page template renders a well-formed page: one element per id, nothing but text in
``<title>``, every element closed where it was opened.

Each page is fetched from the real app over seeded rows (so loops render rows, not
their empty branch) and read with the standard library's HTML parser.  The table
below must name every page template: a new template without a row fails.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from kernel.codes import new_key
from services.broker_admin.local_broker import LocalBroker
from services.storage.engine import upgrade
from tests.fixtures.pages import PAGES, enrol_tokens
from tests.fixtures.web import add_users, web_settings
from tests.fixtures.web_seed import Seeded, appointment_request, seed
from tests.fixtures.web_server import WebServer

pytestmark = pytest.mark.mqtt

ROOT = Path(__file__).resolve().parents[2]
# The central's own pages, and those it shares with the gate's local kiosk (ui/).
TEMPLATE_DIRS = (ROOT / "services" / "web" / "templates", ROOT / "ui" / "templates")
SITE = "pages"
# Elements that never have an end tag.
VOID = frozenset(
    "area base br col embed hr img input link meta source track wbr".split()  # noqa: SIM905
)
# Elements whose end tag HTML lets the next element or the parent's end imply.
OPTIONAL_END = frozenset(
    "li dt dd p rt rp optgroup option tr td th thead tbody tfoot colgroup caption".split()  # noqa: SIM905
)
# Included by the pages above, never rendered alone.
PARTS = frozenset({"base.html", "_entries.html", "_user.html", "_checkin.html", "_me_checkin.html"})


class PageShape(HTMLParser):
    """Reads a page and notes every id, what sits inside <title>, and any nesting fault."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[tuple[str, int]] = []
        self.ids: Counter[str] = Counter()
        self.title: list[str] = []
        self.faults: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        if any(open_tag == "title" for open_tag, _ in self.open):
            self.faults.append(f"line {line}: <{tag}> inside <title>")
        for name, value in attrs:
            if name == "id" and value:
                self.ids[value] += 1
        if tag not in VOID:
            self.open.append((tag, line))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.open.pop()

    def handle_endtag(self, tag: str) -> None:
        line = self.getpos()[0]
        if tag in VOID:
            self.faults.append(f"line {line}: </{tag}> closes a void element")
            return
        while (
            self.open
            and self.open[-1][0] != tag
            and self.open[-1][0] in OPTIONAL_END
            and any(open_tag == tag for open_tag, _ in self.open)
        ):
            self.open.pop()  # an <option> or <td> its parent's end closes
        if not self.open or self.open[-1][0] != tag:
            expected = f"</{self.open[-1][0]}> for line {self.open[-1][1]}" if self.open else "none"
            self.faults.append(f"line {line}: </{tag}> where {expected} was due")
        else:
            self.open.pop()

    def handle_data(self, data: str) -> None:
        if self.open and self.open[-1][0] == "title":
            self.title.append(data)


def shape_faults(html: str) -> list[str]:
    """Everything wrong with the page's structure, one line each; empty when it is sound."""
    shape = PageShape()
    shape.feed(html)
    shape.close()
    faults = list(shape.faults)
    faults += [f"id {name!r} used {n} times" for name, n in sorted(shape.ids.items()) if n > 1]
    faults += [
        f"<{tag}> from line {line} never closed"
        for tag, line in shape.open
        if tag not in OPTIONAL_END
    ]
    title = "".join(shape.title).strip()
    if not title or "<" in title or len(title) > 200:
        faults.append(f"the title is not a short text: {title[:80]!r}")
    return faults


def test_the_checker_sees_the_faults_it_names() -> None:
    sound = (
        "<!doctype html><html><head><title>A page</title></head>"
        "<body><p id=a>x<br></p><select><option>1<option>2</select></body></html>"
    )
    assert shape_faults(sound) == []
    broken = (
        "<html><head><title>T<section id=s></section></title></head>"
        "<body><div id=s><span></div></body></html>"
    )
    assert shape_faults(broken) == [
        "line 1: <section> inside <title>",
        "line 1: </div> where </span> for line 1 was due",
        "line 1: </body> where </span> for line 1 was due",
        "line 1: </html> where </span> for line 1 was due",
        "id 's' used 2 times",
        "<html> from line 1 never closed",
        "<body> from line 1 never closed",
        "<div> from line 1 never closed",
        "<span> from line 1 never closed",
    ]


def test_the_table_names_every_page_template() -> None:
    templates = {path.name for folder in TEMPLATE_DIRS for path in folder.glob("*.html")}
    assert templates - PARTS == set(PAGES)


@pytest.fixture(scope="module")
def server(broker: LocalBroker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    folder = Path(tmp_path_factory.mktemp("pages"))
    url = f"sqlite:///{folder / 'pages.db'}"
    upgrade(url)
    add_users(url)
    new_key(folder / "keys")
    web = WebServer(web_settings(broker, url, SITE, keys_dir=str(folder / "keys"))).start()
    web.seeded = seed(url, SITE)  # type: ignore[attr-defined]
    web.enrol_tokens = enrol_tokens(url)  # type: ignore[attr-defined]
    with web.client("admin") as admin:  # a pass, so the passes page lists a row
        now = datetime.now(UTC)
        request = appointment_request(SITE, now)
        admin.post(
            "/api/v1/passes",
            json={
                "category": "duty",
                "holder_name": request.visitor_name,
                "id_number": request.id_number.get_secret_value(),
                "gates": ["*"],
                "valid_from": now.isoformat(),
                "valid_until": (now + timedelta(hours=2)).isoformat(),
            },
        ).raise_for_status()
    yield web
    web.stop()


def client_for(server: WebServer, user: str | None) -> httpx.Client:
    if user != "person":
        return server.client(user) if user else server.client()
    client = server.client()
    _shown, spent = server.enrol_tokens  # type: ignore[attr-defined]
    client.post(f"/me/enrol/{spent}", data={"pin": "123456", "pin2": "123456"})
    return client


@pytest.mark.parametrize("template", sorted(PAGES))
def test_each_page_is_well_formed(server: WebServer, template: str) -> None:
    user, url = PAGES[template]
    seeded: Seeded = server.seeded  # type: ignore[attr-defined]
    client = client_for(server, user)
    try:
        page = client.get(url.format(event=seeded.north_event, visit=seeded.visit_token,
                                     enrol=server.enrol_tokens[0]))  # type: ignore[attr-defined]  # fmt: skip
    finally:
        client.close()
    assert page.headers["content-type"].startswith("text/html"), page.text[:200]
    assert page.status_code == (403 if template == "error.html" else 200)
    faults = shape_faults(page.text)
    assert not faults, f"{template} at {url}:\n" + "\n".join(faults)
