"""Code readers: the shared contract, camera decoding and the camera simulator.

Importing this package loads only the light contract (:mod:`.codes`); the
OpenCV parts are imported from their modules:

- :mod:`.codes`      ``CodeReader`` / ``CodeDecoder`` protocols, ``Scan``, cooldown
- :mod:`.decoders`   ``make_decoder("zxing" | "pyzbar")``
- :mod:`.sources`    ``open_source``: device index, video file, URL, image folder
- :mod:`.reader`     ``CameraReader``: grabber and decoder threads
- :mod:`.scene`      renders QR / Code 128 frames with perturbations
- :mod:`.code128`    a Code 128-B encoder
- :mod:`.simulator`  ``SimulatedCamera``

Errors::

    CampusgateError (kernel.errors)
    └── ReaderError        a reader cannot be set up or started
        ├── SourceError    a frame source cannot be opened or stopped giving frames
        └── SourceEnded    a finite source has no more frames
"""

from devices.camera.codes import (
    SCAN_COOLDOWN_S,
    CodeDecoder,
    CodeReader,
    Cooldown,
    DecodedCode,
    ReaderError,
    Scan,
)

__all__ = [
    "SCAN_COOLDOWN_S",
    "CodeDecoder",
    "CodeReader",
    "Cooldown",
    "DecodedCode",
    "ReaderError",
    "Scan",
]
