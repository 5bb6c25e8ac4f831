"""The central side of campusgate, in layers (ARCHITECTURE.md draws them).

- storage          typed SQLAlchemy models, the hot path, the action log; imports no feature
- features         identity, grants, exports, audit, passes, appointments, policy, privacy,
                   roster, snapshot, reports: each imports storage and the kernel, and only
                   features listed below it in ``tests/architecture/test_imports.py``
- central          the decision worker runtime (intake, processor, worker, app)
- broker_admin     broker tooling: generated Mosquitto config, accounts, ACLs, a local broker
- web, cli, demo   delivery: pages and API, the ``campusgate`` command, the one-machine demo

The gate never imports this package; what both sides run lives in :mod:`kernel`.
"""
