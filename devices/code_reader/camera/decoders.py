"""Code decoders: zxing-cpp (the default) and pyzbar, selected by name.

Both take a grayscale or BGR frame and return :class:`DecodedCode` values.
Library results never leave this module: raw bytes are checked (UTF-8,
printable, not too long) and dropped with a counted reason otherwise.  A frame
that is not an 8-bit gray or BGR image is counted as ``bad_frame``; a backend
that raises on an image anyway is counted as ``backend_error``.  Neither raises.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np
import zxingcpp

from devices.code_reader.contract import CodeDecoder, DecodedCode, Point, text_problem
from kernel.errors import ConfigError

if TYPE_CHECKING:
    from devices.code_reader.contract import Frame

log = logging.getLogger(__name__)

DEFAULT_SYMBOLOGIES = ("qr", "code128", "code39")
"""What gates see: QR codes on phones and cards, Code 128 / Code 39 on ID cards.

Every extra linear format costs decode time on busy frames (measured by
``bench/decode.py``), so only these are enabled unless asked.
"""
BACKENDS = ("zxing", "pyzbar")


def _corners(points: Sequence[Any]) -> tuple[Point, Point, Point, Point] | None:
    if len(points) != 4:
        return None
    a, b, c, d = ((int(p[0]), int(p[1])) for p in points)
    return (a, b, c, d)


class _Checked:
    """Keeps the codes whose bytes make acceptable text, counting the rest."""

    name = "base"

    def __init__(self) -> None:
        self.rejected: Counter[str] = Counter()

    def _usable(self, frame: Any) -> bool:
        ok = (
            isinstance(frame, np.ndarray)
            and frame.dtype == np.uint8
            and (frame.ndim == 2 or (frame.ndim == 3 and frame.shape[2] == 3))
            and frame.shape[0] > 0
            and frame.shape[1] > 0
        )
        if not ok:
            self.rejected["bad_frame"] += 1
        return ok

    def _backend_failed(self, exc: Exception) -> list[DecodedCode]:
        self.rejected["backend_error"] += 1
        log.warning("%s: cannot decode a frame: %s", self.name, exc)
        return []

    def _accept(self, data: bytes, symbology: str, position: Any) -> DecodedCode | None:
        problem = text_problem(data)
        if problem is not None:
            self.rejected[problem] += 1
            log.debug("%s: dropped a %s code: %s", self.name, symbology, problem)
            return None
        return DecodedCode(text=data.decode("utf-8"), symbology=symbology, position=position)


class ZxingDecoder(_Checked):
    """zxing-cpp's ``read_barcodes`` on the frame as it is (gray or BGR).

    ``try_invert`` also looks for light-on-dark codes; it is off by default
    because gate codes are dark on light and it costs about 10 % per frame.
    """

    name = "zxing"

    def __init__(
        self, symbologies: Sequence[str] = DEFAULT_SYMBOLOGIES, *, try_invert: bool = False
    ) -> None:
        super().__init__()
        formats = {
            "qr": zxingcpp.BarcodeFormat.QRCode,
            "code128": zxingcpp.BarcodeFormat.Code128,
            "code39": zxingcpp.BarcodeFormat.Code39,
            "code93": zxingcpp.BarcodeFormat.Code93,
            "itf": zxingcpp.BarcodeFormat.ITF,
            "codabar": zxingcpp.BarcodeFormat.Codabar,
            "ean13": zxingcpp.BarcodeFormat.EAN13,
            "ean8": zxingcpp.BarcodeFormat.EAN8,
            "upca": zxingcpp.BarcodeFormat.UPCA,
            "upce": zxingcpp.BarcodeFormat.UPCE,
            "datamatrix": zxingcpp.BarcodeFormat.DataMatrix,
            "pdf417": zxingcpp.BarcodeFormat.PDF417,
            "aztec": zxingcpp.BarcodeFormat.Aztec,
        }
        unknown = sorted(set(symbologies) - formats.keys())
        if unknown or not symbologies:
            raise ConfigError(f"zxing cannot read symbologies {unknown or 'none given'}")
        self._try_invert = try_invert
        self._formats = zxingcpp.BarcodeFormats([formats[s] for s in symbologies])
        self._names = {formats[s]: s for s in symbologies}

    def decode(self, frame: Frame) -> list[DecodedCode]:
        if not self._usable(frame):
            return []
        try:
            found = zxingcpp.read_barcodes(
                frame, formats=self._formats, try_invert=self._try_invert
            )
        except Exception as exc:  # whatever the library raises, a frame never stops the loop
            return self._backend_failed(exc)
        codes = []
        for barcode in found:
            symbology = self._names.get(barcode.format, "other")
            p = barcode.position
            corners = _corners(
                [
                    (p.top_left.x, p.top_left.y),
                    (p.top_right.x, p.top_right.y),
                    (p.bottom_right.x, p.bottom_right.y),
                    (p.bottom_left.x, p.bottom_left.y),
                ]
            )
            code = self._accept(bytes(barcode.bytes), symbology, corners)
            if code is not None:
                codes.append(code)
        return codes


class PyzbarDecoder(_Checked):
    """ZBar through pyzbar; BGR frames are converted to gray first (ZBar reads Y800)."""

    name = "pyzbar"

    def __init__(self, symbologies: Sequence[str] = DEFAULT_SYMBOLOGIES) -> None:
        super().__init__()
        try:  # imported here: it needs a system library that gates without pyzbar lack
            from pyzbar import pyzbar  # noqa: PLC0415
        except ImportError as exc:  # the zbar shared library is a system package
            raise ConfigError("pyzbar needs the zbar library (Debian: libzbar0)") from exc
        symbols = {
            "qr": pyzbar.ZBarSymbol.QRCODE,
            "code128": pyzbar.ZBarSymbol.CODE128,
            "code39": pyzbar.ZBarSymbol.CODE39,
            "code93": pyzbar.ZBarSymbol.CODE93,
            "itf": pyzbar.ZBarSymbol.I25,
            "codabar": pyzbar.ZBarSymbol.CODABAR,
            "ean13": pyzbar.ZBarSymbol.EAN13,
            "ean8": pyzbar.ZBarSymbol.EAN8,
            "upca": pyzbar.ZBarSymbol.UPCA,
            "upce": pyzbar.ZBarSymbol.UPCE,
            "pdf417": pyzbar.ZBarSymbol.PDF417,
        }
        unknown = sorted(set(symbologies) - symbols.keys())
        if unknown or not symbologies:
            raise ConfigError(f"pyzbar cannot read symbologies {unknown or 'none given'}")
        self._pyzbar = pyzbar
        self._symbols = [symbols[s] for s in symbologies]
        self._names = {symbols[s].name: s for s in symbologies}

    def decode(self, frame: Frame) -> list[DecodedCode]:
        if not self._usable(frame):
            return []
        gray = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        try:
            found = self._pyzbar.decode(np.ascontiguousarray(gray), symbols=self._symbols)
        except Exception as exc:  # whatever the library raises, a frame never stops the loop
            return self._backend_failed(exc)
        codes = []
        for symbol in found:
            symbology = self._names.get(symbol.type, "other")
            code = self._accept(bytes(symbol.data), symbology, _zbar_corners(symbol))
            if code is not None:
                codes.append(code)
        return codes


def _zbar_corners(symbol: Any) -> tuple[Point, Point, Point, Point] | None:
    # ZBar gives a polygon for QR codes (corner order varies) and a scan-line
    # polygon for linear codes; report the bounding rectangle's corners.
    left, top, width, height = symbol.rect
    return _corners(
        [(left, top), (left + width, top), (left + width, top + height), (left, top + height)]
    )


def make_decoder(
    name: str = "zxing", symbologies: Sequence[str] = DEFAULT_SYMBOLOGIES
) -> CodeDecoder:
    """The decoder backend called ``name`` (``zxing`` or ``pyzbar``)."""
    if name == "zxing":
        return ZxingDecoder(symbologies)
    if name == "pyzbar":
        return PyzbarDecoder(symbologies)
    raise ConfigError(f"unknown decoder {name!r}; choose one of {', '.join(BACKENDS)}")
