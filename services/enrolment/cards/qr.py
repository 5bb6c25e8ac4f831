"""QR symbols of signed codes, as a module matrix image (one pixel per module, 0 = dark).

zxing-cpp's writer (C++) makes one in under a millisecond, which is what lets
20,000 cards print in well under a minute (segno, pure Python, takes ~14 ms a
code here).  Error correction is M.
"""

from __future__ import annotations

import numpy as np
import zxingcpp
from PIL import Image

EC_LEVEL = "M"


def qr_image(text: str) -> Image.Image:
    """One pixel per module, no quiet zone (the card around it is white), mode ``L``."""
    barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level=EC_LEVEL)
    return Image.fromarray(barcode.to_image(scale=1, add_quiet_zones=False))


def qr_bits(text: str) -> tuple[int, int, str]:
    """(width, height, hex of the 1-bit rows): what :func:`inline_image` draws.  A plain
    function of plain values, so a process pool can make them while the PDF is laid out."""
    barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level=EC_LEVEL)
    modules = np.asarray(barcode.to_image(scale=1, add_quiet_zones=False))
    height, width = modules.shape
    bits = np.packbits(modules > 127, axis=1)  # 1 = white, 0 = dark: DeviceGray at 1 bit
    return width, height, bits.tobytes().hex()


def inline_image(bits: tuple[int, int, str], *, x: float, y: float, size: float) -> str:
    """PDF operators drawing a QR (:func:`qr_bits`) as a 1-bit inline image, ``size`` points
    wide at (``x``, ``y``): a few hundred bytes, and none of the per-image object and digest
    an image XObject costs (half of a card's time).  Not interpolated (``/I`` is false by
    default), so every module stays a sharp square."""
    width, height, data = bits
    return (
        f"q {size:.2f} 0 0 {size:.2f} {x:.2f} {y:.2f} cm "
        f"BI /W {width} /H {height} /BPC 1 /CS /G /F /AHx ID\n{data}>\nEI Q"
    )
