"""Renders codes into camera frames for the simulator, tests and benchmarks.

A frame is 640x480 gray: a textured scene (soft blotches, a few edges, sensor
noise) with a code on a white card placed in it, then one perturbation:

=============  ======================================================
``clean``      the card upright (within 5 degrees), sharp
``blur``       gaussian blur, sigma 0.8-1.6 px (slightly out of focus)
``rotation``   the card turned 0-45 degrees (Code 128: 0-8, see below)
``tilt``       the card tilted away (perspective, one edge 70-85 %)
``noise``      gaussian sensor noise, sigma 10-20 levels
``low_contrast``  the whole frame squeezed into 45-70 grey levels
``glare``      a bright specular blob over part of the card
``none``       the scene without any code
=============  ======================================================

QR codes come from ``segno`` (its module matrix, scaled with numpy); Code 128
from :mod:`devices.code_reader.camera.code128`.  A linear code is read along pixel rows,
and turned further than its height allows no row crosses every bar: that is
the geometry, not a decoder weakness, so Code 128 cards turn at most
``BAR_MAX_ROTATION`` degrees.
"""

from __future__ import annotations

import functools
import math
import string
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import cv2
import numpy as np
import numpy.typing as npt
import segno

from devices.code_reader.camera import code128

if TYPE_CHECKING:
    from devices.code_reader.contract import Frame

FRAME_WIDTH = 640
FRAME_HEIGHT = 480
PERTURBATIONS = ("clean", "blur", "rotation", "tilt", "noise", "low_contrast", "glare", "none")
QR_QUIET_ZONE = 4
"""Modules of white around a QR code, as the QR specification requires."""
QR_ERROR_LEVEL = "m"
MODULE_PX = 4
"""Pixels per module on the card before it is placed (and rescaled) in the frame."""
QR_SIZE_PX = (220, 300)
"""Width range of a QR card (quiet zone included) in the frame."""
BAR_MODULE_PX = (2.6, 3.2)
"""Pixels per module of a Code 128 symbol in the frame."""
BAR_HEIGHT_PX = (80, 120)
BAR_MAX_ROTATION = 8.0
CARD_CACHE_SIZE = 128
"""Rendered QR cards kept (segno takes milliseconds per code)."""

Symbology = Literal["qr", "code128"]
Perturbation = Literal[
    "clean", "blur", "rotation", "tilt", "noise", "low_contrast", "glare", "none"
]


@dataclass(frozen=True, slots=True)
class Placement:
    """Where the card went: its corners in the frame (for checks and debugging)."""

    corners: tuple[tuple[float, float], ...]


@functools.lru_cache(maxsize=CARD_CACHE_SIZE)
def qr_card(text: str, module_px: int = MODULE_PX) -> Frame:
    """A QR code with its quiet zone, dark modules 0 and light 255 (read-only, cached)."""
    qr = segno.make_qr(text, error=QR_ERROR_LEVEL)
    size = len(qr.matrix)
    dark = np.frombuffer(b"".join(qr.matrix), dtype=np.uint8).reshape(size, size) & 1
    card: Frame = np.where(dark == 1, 0, 255).astype(np.uint8)
    card = np.pad(card, QR_QUIET_ZONE, constant_values=255)
    card = np.repeat(np.repeat(card, module_px, axis=0), module_px, axis=1)
    card.flags.writeable = False
    return card


def code128_card(text: str, module_px: int = MODULE_PX, height_modules: int = 30) -> Frame:
    """A Code 128-B symbol with quiet zones, dark bars 0 and light 255."""
    row = np.array(code128.modules(text), dtype=bool)
    card: Frame = np.where(row, 0, 255).astype(np.uint8)
    card = np.repeat(card, module_px)
    return np.tile(card, (height_modules * module_px, 1))


def background(rng: np.random.Generator) -> Frame:
    """A plausible empty scene: soft shading, a few hard edges, a little noise."""
    coarse = rng.uniform(60, 200, size=(6, 8)).astype(np.float32)
    scene = np.asarray(
        cv2.resize(coarse, (FRAME_WIDTH, FRAME_HEIGHT), interpolation=cv2.INTER_CUBIC),
        dtype=np.float32,
    )
    for _ in range(int(rng.integers(3, 7))):
        x, y = int(rng.integers(0, FRAME_WIDTH)), int(rng.integers(0, FRAME_HEIGHT))
        w, h = int(rng.integers(20, 200)), int(rng.integers(20, 200))
        cv2.rectangle(scene, (x, y), (x + w, y + h), float(rng.uniform(30, 230)), -1)
    for _ in range(int(rng.integers(2, 5))):
        p1 = (int(rng.integers(0, FRAME_WIDTH)), int(rng.integers(0, FRAME_HEIGHT)))
        p2 = (int(rng.integers(0, FRAME_WIDTH)), int(rng.integers(0, FRAME_HEIGHT)))
        cv2.line(scene, p1, p2, float(rng.uniform(0, 255)), int(rng.integers(1, 4)))
    blurred = cv2.GaussianBlur(scene, (0, 0), 1.2)
    return _u8(blurred + rng.standard_normal(size=scene.shape, dtype=np.float32) * 3)


def _u8(values: Any) -> Frame:
    """Values clipped to 0..255 as an 8-bit image."""
    image: Frame = np.clip(values, 0, 255).astype(np.uint8)
    return image


def _corners(
    width: float, height: float, angle_deg: float, tilt: float, rng: np.random.Generator
) -> npt.NDArray[np.float32]:
    """Destination corners of a ``width`` x ``height`` card, turned and tilted, in frame."""
    half_w, half_h = width / 2, height / 2
    # Tilt: the right edge recedes (shorter, and closer to the left edge).
    near, far = 1.0, tilt
    local = np.array(
        [
            (-half_w, -half_h * near),
            (half_w * (0.5 + far / 2), -half_h * far),
            (half_w * (0.5 + far / 2), half_h * far),
            (-half_w, half_h * near),
        ]
    )
    theta = math.radians(angle_deg)
    rotation = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
    turned = local @ rotation.T
    span_x = turned[:, 0].max() - turned[:, 0].min()
    span_y = turned[:, 1].max() - turned[:, 1].min()
    margin = 8
    cx = rng.uniform(span_x / 2 + margin, FRAME_WIDTH - span_x / 2 - margin)
    cy = rng.uniform(span_y / 2 + margin, FRAME_HEIGHT - span_y / 2 - margin)
    centre_x = (turned[:, 0].max() + turned[:, 0].min()) / 2
    centre_y = (turned[:, 1].max() + turned[:, 1].min()) / 2
    corners: npt.NDArray[np.float32] = (turned - (centre_x, centre_y) + (cx, cy)).astype(np.float32)
    return corners


def render(
    text: str | None,
    *,
    rng: np.random.Generator,
    symbology: Symbology = "qr",
    perturbation: Perturbation = "clean",
    color: bool = False,
) -> tuple[Frame, Placement | None]:
    """One frame showing ``text`` as a code (or nothing when ``text`` is None).

    ``perturbation`` ``none`` always renders the empty scene.  ``color`` returns
    BGR instead of gray.  Deterministic for a given ``rng`` state.
    """
    if perturbation not in PERTURBATIONS:
        raise ValueError(f"unknown perturbation {perturbation!r}")
    frame = background(rng)
    placement = None
    if text is not None and perturbation != "none":
        if symbology == "qr":
            card = qr_card(text)
            width = float(rng.uniform(*QR_SIZE_PX))
            height = width
        else:
            card = code128_card(text)
            modules_wide = card.shape[1] / MODULE_PX
            width = modules_wide * float(rng.uniform(*BAR_MODULE_PX))
            height = float(rng.uniform(*BAR_HEIGHT_PX))
        angle = float(rng.uniform(-5, 5))
        tilt = 1.0
        if perturbation == "rotation":
            limit = 45.0 if symbology == "qr" else BAR_MAX_ROTATION
            angle = float(rng.uniform(0, limit)) * float(rng.choice((-1, 1)))
        elif perturbation == "tilt":
            tilt = float(rng.uniform(0.70, 0.85))
        dest = _corners(width, height, angle, tilt, rng)
        h, w = card.shape
        src = np.array([(0, 0), (w, 0), (w, h), (0, h)], dtype=np.float32)
        matrix = cv2.getPerspectiveTransform(src, dest)
        cv2.warpPerspective(
            card,
            matrix,
            (FRAME_WIDTH, FRAME_HEIGHT),
            dst=frame,
            flags=cv2.INTER_AREA,
            borderMode=cv2.BORDER_TRANSPARENT,
        )
        placement = Placement(corners=tuple((float(x), float(y)) for x, y in dest))
        if perturbation == "glare":
            frame = _glare(frame, dest, rng)
    frame = _perturb(frame, perturbation, rng)
    if color:
        frame = _u8(cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR))
    return frame, placement


def _glare(frame: Frame, corners: npt.NDArray[np.float32], rng: np.random.Generator) -> Frame:
    """A soft saturated blob somewhere over the card (a lamp reflected in a phone)."""
    (x0, y0), (x1, y1) = corners.min(axis=0), corners.max(axis=0)
    size = min(x1 - x0, y1 - y0)
    cx = rng.uniform(x0 + 0.3 * size, x1 - 0.3 * size)
    cy = rng.uniform(y0 + 0.3 * size, y1 - 0.3 * size)
    sigma = size * float(rng.uniform(0.08, 0.14))
    ys, xs = np.ogrid[:FRAME_HEIGHT, :FRAME_WIDTH]
    blob = np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * sigma**2))
    return _u8(frame + blob * float(rng.uniform(150, 220)))


def _perturb(frame: Frame, perturbation: str, rng: np.random.Generator) -> Frame:
    if perturbation == "blur":
        return _u8(cv2.GaussianBlur(frame, (0, 0), float(rng.uniform(0.8, 1.6))))
    if perturbation == "noise":
        sigma = float(rng.uniform(10, 20))
        return _u8(frame + rng.standard_normal(size=frame.shape, dtype=np.float32) * sigma)
    if perturbation == "low_contrast":
        span = float(rng.uniform(45, 70))
        low = float(rng.uniform(70, 160 - span / 2))
        return _u8(low + frame.astype(np.float32) * (span / 255))
    return frame


_B64 = string.ascii_letters + string.digits + "-_"


def sample_text(rng: np.random.Generator, kind: Literal["signed", "id", "any"] = "any") -> str:
    """A code text as gates see them: a signed ``CG1.`` code or a plain ID number."""
    if kind == "any":
        kind = "signed" if rng.random() < 0.7 else "id"
    if kind == "id":
        return f"S{int(rng.integers(10**9, 10**10))}"
    payload = "".join(rng.choice(list(_B64), size=int(rng.integers(120, 180))))
    signature = "".join(rng.choice(list(_B64), size=86))
    return f"CG1.{payload}.{signature}"
