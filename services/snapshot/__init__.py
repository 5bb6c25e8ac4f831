"""Whitelist snapshots for the gates: built from the database, published retained per gate.

- :mod:`.build`      reading the site's data once and cutting one snapshot per gate
- :mod:`.publisher`  ``SnapshotPublisher``: watches gate statuses, publishes what changed
"""
