"""The kernel: what runs on both sides, at the gate and in the centre.

- :mod:`.decision`   the pure ``decide()``, its facts, the reason catalogue and what
                     follows a decision
- :mod:`.codes`      signed codes: format, keys, issue and offline verification
- :mod:`.bus`        the one module that talks MQTT (paho stays inside it)
- :mod:`.clock`      the injected ``Clock``; :mod:`.localtime` the campus's time zone
- :mod:`.errors`     the exception tree every layer raises
- :mod:`.masking`    what each role may see of names and ID numbers

It imports :mod:`schemas` and nothing else of campusgate, and nothing heavy (no
database, no web framework): the gate agent runs it offline. ``tests/architecture``
enforces both.
"""
