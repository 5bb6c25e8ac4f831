"""``campusgate simulate thermometer``: a simulated module on a pseudo-terminal."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("simulate", help="simulated devices for tests and demos")
    devices = parser.add_subparsers(dest="device", required=True, metavar="DEVICE")
    therm = devices.add_parser("thermometer", help="write real protocol bytes into a pty")
    therm.add_argument(
        "--protocol",
        default="lu90614",
        choices=["gy-mcu90614", "lu90614", "idc50", "idc50-ascii", "ascii"],
    )
    therm.add_argument("--link", type=Path, required=True, help="symlink to the pty to create")
    therm.add_argument("--rate", type=float, default=1.0, help="people per second")
    therm.add_argument("--fever-rate", type=float, default=0.05, help="share of people with fever")
    therm.add_argument("--mean", type=float, default=36.5, help="mean body temperature (C)")
    therm.add_argument("--spread", type=float, default=0.25, help="standard deviation (C)")
    therm.add_argument(
        "--corrupt-rate", type=float, default=0.05, help="share of frames corrupted on the line"
    )
    therm.add_argument(
        "--idle-hz",
        type=float,
        default=2.0,
        help="ambient baseline frames per second between people",
    )
    therm.add_argument(
        "--unplug-every", type=float, default=0.0, help="seconds between unplug episodes (0: never)"
    )
    therm.add_argument("--seed", type=int, default=1)
    therm.add_argument("--duration", type=float, help="seconds (default: until Ctrl-C)")
    therm.set_defaults(handler=run_thermometer)


def run_thermometer(args: argparse.Namespace) -> int:
    import time

    from devices.thermometer.simulator import ThermometerSimulator

    sim = ThermometerSimulator(
        args.protocol,
        args.link,
        seed=args.seed,
        fever_rate=args.fever_rate,
        corrupt_rate=args.corrupt_rate,
        mean=args.mean,
        spread=args.spread,
    )
    sim.plug()
    print(f"thermometer ({args.protocol}) on {args.link}", flush=True)
    start = last_unplug = time.monotonic()
    try:
        while args.duration is None or time.monotonic() - start < args.duration:
            if args.unplug_every and time.monotonic() - last_unplug > args.unplug_every:
                sim.unplug()
                time.sleep(1.0)  # the device is away for a second
                sim.plug()
                last_unplug = time.monotonic()
            sim.person()
            # Between people the module looks at the empty lane: the ambient baseline.
            next_person = time.monotonic() + 1 / args.rate
            while args.idle_hz and time.monotonic() + 1 / args.idle_hz < next_person:
                sim.idle()
                time.sleep(1 / args.idle_hz)
            time.sleep(max(next_person - time.monotonic(), 0))
    except KeyboardInterrupt:
        pass
    finally:
        sim.close()
    print(f"sent {len(sim.sent)} people", flush=True)
    return 0
