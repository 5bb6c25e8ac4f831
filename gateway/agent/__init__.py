"""The gate edge agent: devices in, passages out, decisions acted on.

- :mod:`.events`    what arrives on the agent's one inbox, from any thread
- :mod:`.uplink`    the ``Uplink`` contract to the central side and its MQTT implementation
- :mod:`.status`    device health and counters -> the retained ``GateStatus``
- :mod:`.agent`     ``GateAgent``: the single-threaded event loop of one lane
- :mod:`.settings`  ``GateSettings``: TOML file, environment, command line
"""
