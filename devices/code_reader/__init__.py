"""Code readers, one family: cameras and barcode scanners behind one contract.

- :mod:`.contract`  ``CodeReader`` / ``CodeDecoder`` protocols, ``Scan``, ``Cooldown``,
  ``ReaderCore`` (what every reader shares), ``ReaderError``
- :mod:`.front`     ``open_code_reader(url)``: the reader a setting names
- :mod:`.camera`    ``CameraReader`` over frame sources, the decoders, ``SimulatedCamera``
- :mod:`.scanner`   ``SerialScanner``, ``StreamScanner`` (keyboard wedge), ``SimulatedScanner``

Importing this package loads only the contract and the front: OpenCV and pyserial
come with the backend that needs them.  The family's contract tests
(``tests/camera/test_contract.py``) run every reader, simulated and real, through
the same suite.

Errors::

    CampusgateError (kernel.errors)
    └── ReaderError        a reader cannot be set up or started
        ├── SourceError    a camera's frame source cannot be opened or stopped giving frames
        ├── SourceEnded    a finite frame source has no more frames
        ├── PortError      a scanner's port or stream cannot be opened or read
        └── InputEnded     a scanner's stream reached its end
"""

from devices.code_reader.contract import (
    SCAN_COOLDOWN_S,
    CodeDecoder,
    CodeReader,
    Cooldown,
    DecodedCode,
    ReaderError,
    Scan,
)
from devices.code_reader.front import open_code_reader

__all__ = [
    "SCAN_COOLDOWN_S",
    "CodeDecoder",
    "CodeReader",
    "Cooldown",
    "DecodedCode",
    "ReaderError",
    "Scan",
    "open_code_reader",
]
