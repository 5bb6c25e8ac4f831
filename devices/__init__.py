"""Device drivers and their simulators, one package per family.

- :mod:`.thermometer`  infrared thermometers (``open_thermometer``)
- :mod:`.code_reader`  cameras and barcode scanners (``open_code_reader``)
- :mod:`.relay`        the turnstile relay (``open_relay``)
- :mod:`.health`       the health every device reports
- :mod:`.serial_url`   device settings as URLs

A new family (a licence-plate reader, say) gets its own package the same way: a
``contract`` Protocol the gate agent codes against, its drivers, a simulator at the
lowest layer, an ``open_<family>(url)`` front, and one contract test suite that runs
the drivers and the simulator alike.  Devices import only the kernel.
"""
