"""The thermometer contract: what the gate agent needs of any thermometer.

A thermometer runs on its own thread once started and hands every
:data:`~devices.thermometer.frames.Event` (a :class:`Reading` or a :class:`Fault`)
to the ``on_event`` callback it was built with; the caller's loop never blocks on
the port.  ``health()`` says whether it is connected; ``close()`` stops and joins.
``surface_offset`` is the module's configured surface->body offset: without one
its surface readings are never screened (:mod:`.screening`), and ``unconfigured``
then says so, naming the setting to add (a surface-only module without ``offset=``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

from devices.health import Health
from devices.thermometer.frames import Event, Fault, Reading

__all__ = ["Event", "Fault", "Reading", "Thermometer"]


class Thermometer(Protocol):
    @property
    def surface_offset(self) -> Decimal | None: ...

    @property
    def unconfigured(self) -> str | None: ...

    def start(self) -> None: ...

    def health(self) -> Health: ...

    def close(self) -> None: ...
