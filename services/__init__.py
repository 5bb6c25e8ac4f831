"""Central side of campusgate: decision worker, storage, codes, CLI.

Subpackages stay importable on their own: the gate agent imports
``services.decision`` and ``services.codes`` without pulling in the database
or the MQTT client (a test proves it).
"""
