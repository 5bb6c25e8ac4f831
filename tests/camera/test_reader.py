"""The camera reader with real frames: sources, frame skipping, de-duplication, health."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from devices.code_reader.camera.decoders import make_decoder
from devices.code_reader.camera.reader import CameraReader
from devices.code_reader.camera.scene import render
from devices.code_reader.camera.simulator import SimulatedCamera
from devices.code_reader.camera.sources import (
    FolderSource,
    IterSource,
    OpenCvSource,
    SourceEnded,
    SourceError,
    open_source,
)
from devices.code_reader.contract import CodeDecoder, DecodedCode, Scan
from tests.fixtures.waiting import WAIT_S, FakeClock, wait_until

FAST = (0.01, 0.05)  # reopen backoff for tests


def _frame(text: str | None, seed: int = 0, perturbation: str = "clean") -> np.ndarray:
    frame, _ = render(text, rng=np.random.default_rng(seed), perturbation=perturbation)  # type: ignore[arg-type]
    return frame


class GatedDecoder:
    """Records the frames it is given; its first call waits until the test lets it go."""

    name = "gated"

    def __init__(self) -> None:
        from collections import Counter

        self.rejected: Counter[str] = Counter()
        self.seen: list[int] = []
        self.entered = threading.Event()
        self.release = threading.Event()

    def decode(self, frame: np.ndarray) -> list[DecodedCode]:
        self.seen.append(int(frame[0, 0]))
        self.entered.set()
        self.release.wait(WAIT_S)
        return []


class RaisingDecoder:
    name = "raising"

    def __init__(self) -> None:
        from collections import Counter

        self.rejected: Counter[str] = Counter()

    def decode(self, frame: np.ndarray) -> list[DecodedCode]:
        raise RuntimeError("decoder bug")


def test_reader_emits_one_scan_for_a_code_held_in_view(clock: FakeClock) -> None:
    frames = [_frame("CG1.held", seed=i) for i in range(3)] * 5
    reader = CameraReader(IterSource(frames), make_decoder(), clock=clock)
    reader.start()
    try:
        assert reader.wait_finished(WAIT_S)
        scan = reader.scans.get_nowait()
        assert scan == Scan(text="CG1.held", symbology="qr", reader="camera", at=clock.now)
        assert reader.scans.empty()
        stats = reader.stats()
        assert stats["scans"] == 1
        assert stats["frames"] == 15
        assert stats.get("duplicates", 0) == stats["frames_decoded"] - 1
    finally:
        reader.close()


def test_cooldown_is_measured_on_the_injected_clock(clock: FakeClock) -> None:
    camera = SimulatedCamera(fps=200, clock=clock)
    camera.start()
    try:

        def decoded_after(count: int) -> bool:
            return camera.stats().get("frames_decoded", 0) >= count

        camera.scene.show("VISITOR-7")
        assert camera.scans.get(timeout=WAIT_S).text == "VISITOR-7"
        camera.scene.show_nothing()
        clock.advance(2.9)  # away for less than the cooldown: still the same scan
        camera.scene.show("VISITOR-7")
        mark = camera.stats()["duplicates"]
        assert wait_until(lambda: camera.stats().get("duplicates", 0) > mark + 3)
        assert camera.scans.empty()
        camera.scene.show_nothing()
        done = camera.stats()["frames_decoded"]
        assert wait_until(lambda: decoded_after(done + 3))
        clock.advance(3.0)  # away for the whole cooldown: a new scan
        camera.scene.show("VISITOR-7")
        again = camera.scans.get(timeout=WAIT_S)
        assert again.text == "VISITOR-7"
        assert again.at == clock.now
    finally:
        camera.close()


def test_a_slow_decoder_gets_the_newest_frame_and_the_rest_are_skipped() -> None:
    frames = [np.full((48, 64), value, dtype=np.uint8) for value in range(20)]
    decoder = GatedDecoder()
    source_done = threading.Event()

    def produce() -> Iterator[np.ndarray]:
        yield from frames
        source_done.set()

    reader = CameraReader(IterSource(produce()), decoder)
    reader.start()
    try:
        assert decoder.entered.wait(WAIT_S)
        assert source_done.wait(WAIT_S)
        decoder.release.set()
        assert reader.wait_finished(WAIT_S)
        stats = reader.stats()
        assert decoder.seen[-1] == 19  # the newest frame is never lost
        assert len(decoder.seen) <= 3
        assert stats["frames"] == 20
        assert stats["frames_skipped"] == 20 - len(decoder.seen)
    finally:
        decoder.release.set()
        reader.close()


def test_a_decoder_that_raises_is_counted_and_the_reader_goes_on(
    expect_logged_exceptions: None,
) -> None:
    reader = CameraReader(IterSource([_frame("X")] * 3), RaisingDecoder())
    reader.start()
    try:
        assert reader.wait_finished(WAIT_S)
        assert reader.stats()["decode_errors"] >= 1
    finally:
        reader.close()


def test_a_scan_callback_that_raises_is_counted(expect_logged_exceptions: None) -> None:
    def broken(scan: Scan) -> None:
        raise ValueError("consumer bug")

    reader = CameraReader(
        IterSource([_frame("A", 1), _frame("B", 2)]), make_decoder(), on_scan=broken
    )
    reader.start()
    try:
        assert reader.wait_finished(WAIT_S)
        assert reader.stats()["callback_errors"] == reader.stats()["scans"] >= 1
    finally:
        reader.close()


def test_callback_receives_scans_on_the_reader_thread() -> None:
    got: list[tuple[str, str]] = []
    reader = CameraReader(
        IterSource([_frame("CB-1")]),
        make_decoder(),
        on_scan=lambda scan: got.append((scan.text, threading.current_thread().name)),
    )
    reader.start()
    try:
        assert reader.wait_finished(WAIT_S)
        assert got == [("CB-1", "camera-decode")]
        assert reader.scans.empty()
    finally:
        reader.close()


def test_unplugged_camera_is_a_fault_and_is_reopened(clock: FakeClock) -> None:
    camera = SimulatedCamera(fps=200, backoff=FAST, clock=clock)
    camera.start()
    try:
        assert wait_until(lambda: camera.health()[0] == "ok")
        camera.scene.unplug()
        assert wait_until(lambda: camera.health()[0] == "fault")
        assert "unplugged" in camera.health()[1]
        assert wait_until(lambda: camera.stats().get("open_failures", 0) >= 2)
        camera.scene.replug()
        assert wait_until(lambda: camera.health() == ("ok", "reading simulated camera"))
        camera.scene.show("BACK-AGAIN")
        assert camera.scans.get(timeout=WAIT_S).text == "BACK-AGAIN"
    finally:
        camera.close()


def test_close_joins_both_threads() -> None:
    camera = SimulatedCamera(fps=100)
    camera.start()
    assert wait_until(lambda: camera.health()[0] == "ok")
    camera.close()
    names = {t.name for t in threading.enumerate()}
    assert not names & {"camera-sim-grab", "camera-sim-decode"}


def test_folder_source_reads_images_in_name_order_and_skips_unreadable_ones(
    tmp_path: Path,
) -> None:
    for name, text in [("b.png", "SECOND"), ("a.png", "FIRST"), ("c.jpg", "THIRD")]:
        cv2.imwrite(str(tmp_path / name), _frame(text))
    (tmp_path / "broken.png").write_bytes(b"not a png")
    (tmp_path / "notes.txt").write_text("ignored")
    source = FolderSource(tmp_path)
    source.open()
    decoder = make_decoder()
    texts: list[str] = []
    for _ in range(3):
        frame = source.read()
        assert frame.ndim == 2
        texts.extend(c.text for c in decoder.decode(frame))
    with pytest.raises(SourceEnded):
        source.read()
    assert texts == ["FIRST", "SECOND", "THIRD"]
    assert source.unreadable == 1


def test_folder_source_loops_through_the_camera_reader(tmp_path: Path) -> None:
    texts = {f"FOLDER-{i}" for i in range(3)}
    for i, text in enumerate(sorted(texts)):
        cv2.imwrite(str(tmp_path / f"{i:03d}.png"), _frame(text, seed=i))
    seen: set[str] = set()
    all_seen = threading.Event()

    def collect(scan: Scan) -> None:
        seen.add(scan.text)
        if seen == texts:
            all_seen.set()

    reader = CameraReader(
        open_source(tmp_path, loop=True, fps=300), make_decoder(), on_scan=collect
    )
    reader.start()
    try:
        assert all_seen.wait(WAIT_S)
        assert reader.health() == ("ok", f"reading folder {tmp_path}")
    finally:
        reader.close()


def test_missing_or_empty_folder_is_a_fault(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no images"):
        FolderSource(tmp_path).open()
    with pytest.raises(SourceError, match="cannot list"):
        FolderSource(tmp_path / "missing").open()


def test_video_file_source_decodes_and_ends(tmp_path: Path) -> None:
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 10, (640, 480))
    assert writer.isOpened()
    for seed in range(6):
        frame, _ = render("VIDEO-CODE", rng=np.random.default_rng(seed), color=True)
        writer.write(frame)
    writer.release()
    reader = CameraReader(open_source(str(path)), make_decoder())
    reader.start()
    try:
        assert reader.wait_finished(WAIT_S)
        assert reader.scans.get_nowait().text == "VIDEO-CODE"
        assert reader.health() == ("fault", f"{path} ended")
    finally:
        reader.close()


def test_looped_video_file_starts_again(tmp_path: Path) -> None:
    path = tmp_path / "loop.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 10, (64, 48))
    for value in (10, 200):
        writer.write(np.full((48, 64, 3), value, dtype=np.uint8))
    writer.release()
    source = OpenCvSource(str(path), loop=True)
    source.open()
    try:
        levels = [int(source.read().mean() > 100) for _ in range(5)]
    finally:
        source.close()
    assert levels == [0, 1, 0, 1, 0]


@pytest.mark.parametrize("spec", [97, "rtsp://user:secret@127.0.0.1:1/live", "/no/such/file.mp4"])
def test_sources_that_cannot_open_put_the_reader_in_fault(spec: int | str) -> None:
    source = open_source(spec)
    assert "secret" not in source.description
    reader = CameraReader(source, make_decoder(), backoff=FAST)
    reader.start()
    try:
        assert wait_until(lambda: reader.stats().get("open_failures", 0) >= 2)
        state, detail = reader.health()
        assert state == "fault"
        assert detail.startswith("cannot open")
        assert "secret" not in detail
    finally:
        reader.close()


def test_open_source_picks_the_kind_from_the_setting(tmp_path: Path) -> None:
    assert isinstance(open_source("0"), OpenCvSource)
    assert isinstance(open_source(2), OpenCvSource)
    assert isinstance(open_source(tmp_path), FolderSource)
    assert isinstance(open_source("http://cam.local/mjpg"), OpenCvSource)


def test_starting_twice_is_refused() -> None:
    from devices.code_reader.contract import ReaderError

    camera = SimulatedCamera(fps=100)
    camera.start()
    try:
        with pytest.raises(ReaderError):
            camera.start()
    finally:
        camera.close()


def test_rejections_from_the_decoder_show_in_stats() -> None:
    reader = CameraReader(IterSource([np.zeros((4, 4, 4), np.uint8)]), make_decoder("pyzbar"))
    reader.start()
    try:
        assert reader.wait_finished(WAIT_S)
        assert reader.stats()["rejected_bad_frame"] == 1
    finally:
        reader.close()


def test_decoders_satisfy_the_protocol() -> None:
    decoders: list[CodeDecoder] = [make_decoder("zxing"), make_decoder("pyzbar"), GatedDecoder()]
    assert all(d.name for d in decoders)
