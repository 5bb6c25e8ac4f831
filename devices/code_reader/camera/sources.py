"""Frame sources for the camera reader: OpenCV captures, folders of images, iterables.

A :class:`FrameSource` is opened, read frame by frame and closed by one thread
(the reader's grabber).  ``read`` raises :class:`SourceError` when the source
stops giving frames (unplugged camera, dropped stream) and
:class:`SourceEnded` when a finite source (a file, a folder) has no more.
OpenCV's own errors are converted here and never leave this module.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import cv2
import numpy as np

from devices.code_reader.contract import ReaderError

if TYPE_CHECKING:
    from devices.code_reader.contract import Frame

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".pgm", ".ppm", ".tif", ".tiff"})
STREAM_TIMEOUT_MS = 5000
"""How long OpenCV may wait to open or read a network stream before it is a fault."""
STREAM_SCHEMES = ("rtsp://", "rtsps://", "http://", "https://", "rtmp://", "udp://", "tcp://")


class SourceError(ReaderError):
    """The source cannot be opened, or stopped giving frames."""


class SourceEnded(ReaderError):
    """A finite source (a video file, a folder without looping) has no more frames."""


def as_frame(image: Any) -> Frame:
    """An OpenCV image as an 8-bit frame (no copy when it already is one)."""
    frame: Frame = np.asarray(image, dtype=np.uint8)
    return frame


class FrameSource(Protocol):
    """Frames from somewhere; opened, read and closed by a single thread."""

    description: str

    def open(self) -> None:
        """Open (or re-open after ``close``); raises :class:`SourceError`."""
        ...

    def read(self) -> Frame:
        """The next frame; raises :class:`SourceError` or :class:`SourceEnded`."""
        ...

    def close(self) -> None: ...


class Pacer:
    """Spaces calls ``1/fps`` seconds apart (no pacing when ``fps`` is None).

    It really sleeps, so it reads ``time.monotonic`` itself rather than an injected clock.
    """

    def __init__(self, fps: float | None) -> None:
        if fps is not None and fps <= 0:
            raise ValueError("fps must be positive")
        self.interval = 0.0 if fps is None else 1.0 / fps
        self._next = 0.0

    def wait(self) -> None:
        if not self.interval:
            return
        now = time.monotonic()
        if self._next > now:
            time.sleep(self._next - now)
            now = self._next
        self._next = now + self.interval


class OpenCvSource:
    """A ``cv2.VideoCapture``: a device index, a video file, or an RTSP/HTTP URL.

    A video file raises :class:`SourceEnded` at its end unless ``loop``; a
    device or stream that gives no frame raises :class:`SourceError`.
    """

    def __init__(self, target: int | str, *, loop: bool = False) -> None:
        self.target = target
        self.loop = loop
        self.is_file = isinstance(target, str) and Path(target).is_file()
        self.is_stream = isinstance(target, str) and target.lower().startswith(STREAM_SCHEMES)
        self.description = f"camera {target}" if isinstance(target, int) else str(target)
        if self.is_stream:
            self.description = _without_password(str(target))
        self._capture: cv2.VideoCapture | None = None

    def open(self) -> None:
        self.close()
        try:
            if self.is_stream:
                params = [
                    cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
                    STREAM_TIMEOUT_MS,
                    cv2.CAP_PROP_READ_TIMEOUT_MSEC,
                    STREAM_TIMEOUT_MS,
                ]
                capture = cv2.VideoCapture(self.target, cv2.CAP_ANY, params)
            else:
                capture = cv2.VideoCapture(self.target)
        except cv2.error as exc:
            raise SourceError(f"cannot open {self.description}: {exc}") from exc
        if not capture.isOpened():
            capture.release()
            raise SourceError(f"cannot open {self.description}")
        if not self.is_file:
            # Keep the driver's queue short so the newest frame is the one read.
            capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        self._capture = capture

    def read(self) -> Frame:
        if self._capture is None:
            raise SourceError(f"{self.description} is not open")
        frame = self._grab()
        if frame is None and self.is_file:
            if not self.loop:
                raise SourceEnded(f"{self.description} ended")
            self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
            frame = self._grab()
        if frame is None:
            raise SourceError(f"{self.description} gave no frame")
        return frame

    def _grab(self) -> Frame | None:
        assert self._capture is not None
        try:
            ok, frame = self._capture.read()
        except cv2.error as exc:
            raise SourceError(f"{self.description}: {exc}") from exc
        return as_frame(frame) if ok and frame is not None else None

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None


def _without_password(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not at or ":" not in credentials:
        return url
    return f"{scheme}{sep}{credentials.split(':', 1)[0]}:***@{host}"


class FolderSource:
    """The images of a folder in name order, read as gray; optionally looped.

    The folder is listed again at every pass, so images dropped in while it
    runs are picked up.  An unreadable image is skipped and counted in
    ``unreadable``; a pass with no readable image at all is a fault.
    """

    def __init__(self, folder: str | Path, *, loop: bool = False, fps: float | None = None) -> None:
        self.folder = Path(folder)
        self.loop = loop
        self.description = f"folder {self.folder}"
        self.unreadable = 0
        self._pacer = Pacer(fps)
        self._files: list[Path] = []
        self._index = 0
        self._open = False

    def _list(self) -> list[Path]:
        try:
            entries = list(self.folder.iterdir())
        except OSError as exc:
            raise SourceError(f"cannot list {self.folder}: {exc.strerror}") from exc
        files = sorted(p for p in entries if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
        if not files:
            raise SourceError(f"no images in {self.folder}")
        return files

    def open(self) -> None:
        self._files = self._list()
        self._index = 0
        self._open = True

    def read(self) -> Frame:
        if not self._open:
            raise SourceError(f"{self.description} is not open")
        self._pacer.wait()
        misses = 0
        while True:
            if self._index >= len(self._files):
                if not self.loop:
                    raise SourceEnded(f"{self.description}: all images read")
                self._files = self._list()
                self._index = 0
            path = self._files[self._index]
            self._index += 1
            frame = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
            if frame is not None:
                return as_frame(frame)
            self.unreadable += 1
            misses += 1
            log.warning("%s: skipped unreadable image %s", self.description, path.name)
            if misses >= len(self._files):
                raise SourceError(f"no readable image in {self.folder}")

    def close(self) -> None:
        self._open = False


class IterSource:
    """Frames from an iterable (rendered frames, test fixtures); ends when it does."""

    def __init__(
        self, frames: Iterable[Frame], *, description: str = "frames", fps: float | None = None
    ) -> None:
        self.description = description
        self._frames = frames
        self._iterator: Iterator[Frame] | None = None
        self._pacer = Pacer(fps)

    def open(self) -> None:
        if self._iterator is None:
            self._iterator = iter(self._frames)

    def read(self) -> Frame:
        if self._iterator is None:
            raise SourceError(f"{self.description} is not open")
        self._pacer.wait()
        try:
            return next(self._iterator)
        except StopIteration:
            raise SourceEnded(f"{self.description} ended") from None

    def close(self) -> None:
        """Nothing to release; a re-open continues where the iterable left off."""


def open_source(
    spec: int | str | Path, *, loop: bool = False, fps: float | None = None
) -> FrameSource:
    """The source a setting names: ``0`` (device), a folder, a video file or a URL."""
    if isinstance(spec, int):
        return OpenCvSource(spec)
    text = str(spec)
    if text.isdigit():
        return OpenCvSource(int(text))
    if Path(text).is_dir():
        return FolderSource(text, loop=loop, fps=fps)
    return OpenCvSource(text, loop=loop)
