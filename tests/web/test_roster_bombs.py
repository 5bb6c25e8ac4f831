"""XLSX memory bombs sent to the real web service (issue 14, item 9).

Each bomb is built at test time and uploaded to ``campusgate web`` running in its own
process; the refusal must be a clear 422 and the process's peak memory must stay close to
where it was.  Before the bounds, a 5 KB file with one merged range ``A5:Z100000`` took the
web from 171 to 582 MiB, ``A5:XFD1048576`` ended in MemoryError at 2 GB, and 300 MB of
whitespace packed in 310 KB reached 765 MiB.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from services.broker_admin.local_broker import LocalBroker
from tests.fixtures import xlsx_bombs
from tests.fixtures.web_process import WebProcess

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]

MiB = 1024 * 1024
# What a refusal may cost the web process at its peak (the upload, the zip directory,
# one chunk of the scan); the bombs cost hundreds of MiB before.
REFUSAL_BUDGET = 48 * MiB

# name -> (how to build it, what the refusal names)
BOMBS: dict[str, tuple[Callable[[Path], Path], str]] = {
    "merged A5:Z100000": (lambda p: xlsx_bombs.merged(p, "A5:Z100000"), "merged cells"),
    "merged A5:XFD1048576": (lambda p: xlsx_bombs.merged(p, "A5:XFD1048576"), "row 1048576"),
    "dimension A1:XFD1048576": (xlsx_bombs.whole_sheet_dimension, "dimension"),
    "300 MiB of whitespace": (xlsx_bombs.padded, "unpacks to 300 MiB"),
    "200 MiB of whitespace (under the size bound)": (
        lambda p: xlsx_bombs.padded(p, 200),
        "stretch of text or padding",
    ),
    "16 MiB of unknown elements": (xlsx_bombs.loose_elements, "XML elements outside rows"),
}


@pytest.fixture
def web_process(broker: LocalBroker, users: str, site: str, tmp_path: Path) -> Iterator[WebProcess]:
    process = WebProcess(broker_url=broker.url, db_url=users, site=site, log=tmp_path / "web.log")
    try:
        yield process.wait_ready()
    finally:
        process.stop()


def test_xlsx_bombs_are_refused_before_they_are_read(
    web_process: WebProcess, tmp_path: Path
) -> None:
    results: dict[str, tuple[int, str, str, int]] = {}
    with web_process.client("admin") as admin:
        for name, (build, _reason) in BOMBS.items():
            path = build(tmp_path / "bomb.xlsx")
            size = path.stat().st_size
            assert size < 400 * 1024, f"{name}: {size} bytes is no bomb"
            before = web_process.reset_peak()
            try:
                with path.open("rb") as file:
                    response = admin.post(
                        "/api/v1/roster/import", files={"file": ("名单.xlsx", file)}
                    )
            except httpx.TimeoutException:
                results[name] = (0, "timeout", "", web_process.peak() - before)
                continue
            body = response.json() if "json" in response.headers.get("content-type", "") else {}
            results[name] = (
                response.status_code,
                str(body.get("error")),
                str(body.get("detail")),
                web_process.peak() - before,
            )
        # In the user's language: the administrator switches to Chinese.
        assert admin.put("/api/v1/me/lang", json={"lang": "zh-CN"}).status_code == 204
        with xlsx_bombs.merged(tmp_path / "bomb.xlsx", "A5:Z100000").open("rb") as file:
            in_chinese = admin.post("/api/v1/roster/import", files={"file": ("名单.xlsx", file)})
        good = xlsx_bombs.write_xlsx(tmp_path / "good.xlsx")
        with good.open("rb") as file:
            checked = admin.post("/api/v1/roster/import", files={"file": ("名单.xlsx", file)})
    report = "\n".join(
        f"{name}: HTTP {status} {code} +{grown // MiB} MiB {detail}"
        for name, (status, code, detail, grown) in results.items()
    )
    for name, (status, code, detail, grown) in results.items():
        assert (status, code) == (422, "roster_too_large"), report
        assert BOMBS[name][1] in detail, report
        assert grown < REFUSAL_BUDGET, report
    assert in_chinese.json()["message"].startswith("名单文件超出可读取的范围")
    assert in_chinese.json()["detail"].startswith("合并区域 A5:Z100000 使合并单元格共")
    # The service is still there and still reads a real roster.
    assert checked.status_code == 200, checked.text
    assert checked.json()["inserted"] == 1
