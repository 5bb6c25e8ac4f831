"""Line-based barcode scanners: serial ports and keyboard wedges.

- :mod:`.lines`   ``LineParser``: bytes in, code texts or rejections out (pure)
- :mod:`.reader`  ``SerialScanner``, ``StreamScanner``, ``SimulatedScanner``

They implement :class:`devices.code_reader.contract.CodeReader`, like the camera.

Errors::

    ReaderError (devices.code_reader.contract)
    ├── PortError    the port or stream cannot be opened or read
    └── InputEnded   the stream reached its end
"""
