"""A thermometer on a pseudo-terminal writing real protocol bytes, for the real driver.

People pass with body temperatures from a normal distribution plus a share of
fevers; frames are sometimes corrupted, split across writes or preceded by
junk, and the device can be unplugged (the pty closed) and plugged back in
(a new pty, the symlink moved).
"""

from __future__ import annotations

import contextlib
import os
import random
import threading
import tty
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from devices.thermometer.binary import GyMcu90614, Idc50, Lu90614

AMBIENT_C = Decimal("23.00")
SKIN_BELOW_BODY_C = Decimal("2.5")

# GY modules report a surface temperature: the simulated person shows 2.5 C less on the skin.
FRAMES: dict[str, Callable[[Decimal], bytes]] = {
    "gy-mcu90614": lambda c: GyMcu90614.build(c - SKIN_BELOW_BODY_C, AMBIENT_C),
    "lu90614": lambda c: Lu90614.build(c),  # noqa: PLW0108 - same shape as its neighbours
    "idc50": lambda c: Idc50.build(c.quantize(Decimal("0.1"))),
    "idc50-ascii": lambda c: f"{{T:{c.quantize(Decimal('0.1'))}}}".encode(),
    "ascii": lambda c: f"BODY:{c}\r\n".encode(),
}

# What each module sends while nobody stands in front of it (the ambient baseline).
# Triggered modules (IDC-50) send nothing until someone is measured.
IDLE_FRAMES: dict[str, Callable[[Decimal], bytes]] = {
    "gy-mcu90614": lambda a: GyMcu90614.build(a, a),
    "lu90614": lambda a: Lu90614.build(a, body=False),
    "idc50": lambda a: b"",
    "idc50-ascii": lambda a: b"",
    "ascii": lambda a: f"AMB:{a}\r\n".encode(),
}


class ThermometerSimulator:
    def __init__(
        self,
        protocol: str,
        link: Path,
        *,
        seed: int = 1,
        fever_rate: float = 0.05,
        corrupt_rate: float = 0.05,
        mean: float = 36.5,
        spread: float = 0.25,
        ambient: Decimal = AMBIENT_C,
    ) -> None:
        if protocol not in FRAMES:
            raise ValueError(f"unknown protocol {protocol!r}")
        self.protocol, self.link = protocol, link
        self.rng = random.Random(seed)
        self.fever_rate, self.corrupt_rate = fever_rate, corrupt_rate
        self.mean, self.spread, self.ambient = mean, spread, ambient
        self.sent: list[Decimal] = []
        self._master: int | None = None
        self._slave: int | None = None
        self._lock = threading.Lock()

    def plug(self) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)
        self._master, self._slave = master, slave
        tmp = self.link.with_suffix(".tmp")
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        tmp.symlink_to(os.ttyname(slave))
        tmp.replace(self.link)

    def unplug(self) -> None:
        with self._lock:
            for fd in (self._master, self._slave):
                if fd is not None:
                    os.close(fd)
            self._master = self._slave = None

    def next_temperature(self) -> Decimal:
        if self.rng.random() < self.fever_rate:
            return Decimal(f"{self.rng.uniform(37.3, 39.5):.2f}")
        return Decimal(f"{min(self.rng.gauss(self.mean, self.spread), 37.2):.2f}")

    def person(self, celsius: Decimal | None = None) -> bytes:
        """Write one person's frame (sometimes with junk, split or corrupted); returns it."""
        value = celsius if celsius is not None else self.next_temperature()
        frame = FRAMES[self.protocol](value)
        out = frame
        if self.rng.random() < self.corrupt_rate:
            out = b"\x00\x7f" + frame[:-1] + bytes([(frame[-1] + 1) & 0xFF]) + frame
        self.sent.append(value)
        cut = self.rng.randrange(1, len(out))
        with self._lock:
            if self._master is None:
                raise OSError("unplugged")
            os.write(self._master, out[:cut])
            os.write(self._master, out[cut:])
        return frame

    def idle(self) -> bytes:
        """Write one ambient-baseline frame (nobody in front), with sensor noise; returns it."""
        noise = Decimal(f"{self.rng.gauss(0, 0.05):.2f}")
        frame = IDLE_FRAMES[self.protocol](self.ambient + noise)
        self.send(frame)
        return frame

    def send(self, data: bytes) -> None:
        """Raw bytes on the wire, garbage included (raises OSError while unplugged)."""
        if not data:
            return
        with self._lock:
            if self._master is None:
                raise OSError("unplugged")
            os.write(self._master, data)

    def close(self) -> None:
        self.unplug()
        with contextlib.suppress(FileNotFoundError):
            self.link.unlink()
