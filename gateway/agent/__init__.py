"""The gate edge agent: devices in, passages out, decisions acted on.

- :mod:`.agent`     ``GateAgent``: the single-threaded event loop of one lane
- :mod:`.config`    ``LaneConfig`` and the lane's counters
- :mod:`.events`    what arrives on the agent's one inbox, from any thread
- :mod:`.readings`  thermometer readings: counts, telemetry, body readings to pair
- :mod:`.passages`  building, publishing and awaiting each passage
- :mod:`.decisions` acting on each Decision once; the offline ``Fallback``
- :mod:`.vehicles`  the vehicle at a vehicle lane
- :mod:`.barrier`   the turnstile and the lockdown
- :mod:`.commands`  ``open``, ``lockdown``, ``release``, ``sync``
- :mod:`.status`    device health and counters -> the retained ``GateStatus``
- :mod:`.uplink`    the ``Uplink`` contract to the central side and its MQTT implementation
- :mod:`.settings`  ``GateSettings``: TOML file, environment, command line
- :mod:`.runner`    ``campusgate gate``: settings -> devices (each family's front), agent
"""
