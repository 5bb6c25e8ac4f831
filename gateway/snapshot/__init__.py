"""The gate's whitelist snapshot and the offline decisions taken on it.

- :mod:`.store`  ``SnapshotStore``: verified, atomically replaced, kept on disk
- :mod:`.local`  ``LocalDecider``: the same ``decide()`` over the snapshot when the
  central side does not answer in time
"""
