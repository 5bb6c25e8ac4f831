"""A simulated camera: rendered frames through the real reader and decoder.

:class:`SimulatedSource` is a :class:`~devices.code_reader.camera.sources.FrameSource`
showing whatever scene it was last told to (a code with a perturbation, or
the empty scene), at a steady frame rate, and can be unplugged and plugged
back.  :class:`SimulatedCamera` is the real :class:`CameraReader` over it, so
OpenCV, the decoder backend, frame skipping and de-duplication all run for
real.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from devices.code_reader.camera.decoders import make_decoder
from devices.code_reader.camera.reader import REOPEN_BACKOFF_MAX_S, REOPEN_BACKOFF_S, CameraReader
from devices.code_reader.camera.scene import Perturbation, Symbology, render
from devices.code_reader.camera.sources import Pacer, SourceError
from devices.code_reader.contract import SCAN_COOLDOWN_S, CodeDecoder, Scan
from kernel.clock import Monotonic

if TYPE_CHECKING:
    from devices.code_reader.contract import Frame

SIMULATED_FPS = 30.0


class SimulatedSource:
    """A scene that changes when told to; thread-safe to steer while it is read."""

    def __init__(
        self, *, fps: float | None = SIMULATED_FPS, seed: int = 0, color: bool = False
    ) -> None:
        self.description = "simulated camera"
        self.frames_served = 0
        self._rng = np.random.default_rng(seed)
        self._color = color
        self._pacer = Pacer(fps)
        self._lock = threading.Lock()
        self._plugged = True
        self._open = False
        self._frame = self._render(None, "qr", "none")

    def _render(self, text: str | None, symbology: Symbology, perturbation: Perturbation) -> Frame:
        frame, _ = render(
            text, rng=self._rng, symbology=symbology, perturbation=perturbation, color=self._color
        )
        frame.flags.writeable = False
        return frame

    def show(
        self, text: str, *, symbology: Symbology = "qr", perturbation: Perturbation = "clean"
    ) -> None:
        """From the next frame on, the camera sees ``text`` as a code."""
        with self._lock:
            self._frame = self._render(text, symbology, perturbation)

    def show_nothing(self) -> None:
        """From the next frame on, the camera sees the empty scene."""
        with self._lock:
            self._frame = self._render(None, "qr", "none")

    def show_frame(self, frame: Frame) -> None:
        """From the next frame on, the camera sees exactly ``frame``."""
        with self._lock:
            self._frame = frame

    def unplug(self) -> None:
        with self._lock:
            self._plugged = False

    def replug(self) -> None:
        with self._lock:
            self._plugged = True

    def open(self) -> None:
        with self._lock:
            if not self._plugged:
                raise SourceError("simulated camera is unplugged")
            self._open = True

    def read(self) -> Frame:
        self._pacer.wait()
        with self._lock:
            if not self._plugged or not self._open:
                raise SourceError("simulated camera gave no frame (unplugged)")
            self.frames_served += 1
            return self._frame

    def close(self) -> None:
        with self._lock:
            self._open = False


class SimulatedCamera(CameraReader):
    """The real camera reader over a :class:`SimulatedSource` (``.scene``)."""

    def __init__(
        self,
        decoder: CodeDecoder | None = None,
        *,
        name: str = "camera-sim",
        fps: float | None = SIMULATED_FPS,
        seed: int = 0,
        color: bool = False,
        on_scan: Callable[[Scan], None] | None = None,
        cooldown: float = SCAN_COOLDOWN_S,
        clock: Monotonic = time.monotonic,
        backoff: tuple[float, float] = (REOPEN_BACKOFF_S, REOPEN_BACKOFF_MAX_S),
    ) -> None:
        self.scene = SimulatedSource(fps=fps, seed=seed, color=color)
        super().__init__(
            self.scene,
            decoder or make_decoder("zxing"),
            name=name,
            on_scan=on_scan,
            cooldown=cooldown,
            clock=clock,
            backoff=backoff,
        )
