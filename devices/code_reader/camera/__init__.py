"""Cameras as code readers: frames from a source, decoded into scans.

Nothing is imported here: OpenCV loads with the module that needs it.

- :mod:`.sources`    ``open_source``: device index, video file, URL, image folder
- :mod:`.decoders`   ``make_decoder("zxing" | "pyzbar")``
- :mod:`.reader`     ``CameraReader``: grabber and decoder threads
- :mod:`.scene`      renders QR / Code 128 frames with perturbations
- :mod:`.code128`    a Code 128-B encoder
- :mod:`.simulator`  ``SimulatedCamera``: the real reader over rendered frames
"""
