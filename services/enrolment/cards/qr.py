"""QR symbols of signed codes, as a module matrix image (one pixel per module, 0 = dark).

zxing-cpp's writer (C++) makes one in under a millisecond, which is what lets
20,000 cards print in well under a minute (segno, pure Python, takes ~14 ms a
code here).  Error correction is M.
"""

from __future__ import annotations

import zxingcpp
from PIL import Image

EC_LEVEL = "M"


def qr_image(text: str) -> Image.Image:
    """One pixel per module, no quiet zone (the card around it is white), mode ``L``."""
    barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level=EC_LEVEL)
    return Image.fromarray(barcode.to_image(scale=1, add_quiet_zones=False))
