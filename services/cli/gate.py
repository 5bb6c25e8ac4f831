"""``campusgate gate``: run the edge agent of one gate lane until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
from pathlib import Path

from services.cli.loop import add_log_format

MAX_CHECK_SECONDS = 60.0

# command-line option -> settings field
OPTIONS: dict[str, str] = {
    "site": "site",
    "gate": "gate",
    "direction": "direction",
    "lane": "lane",
    "thermometer": "thermometer",
    "camera": "camera",
    "scanner": "scanner",
    "relay": "relay",
    "decoder": "decoder",
    "decision_timeout": "decision_timeout_s",
    "pairing_window": "pairing_window_s",
    "pulse": "pulse_s",
    "camera_fps": "camera_fps",
    "camera_loop": "camera_loop",
    "outbox": "outbox_path",
    "snapshot": "snapshot_path",
    "site_keys": "site_keys_dir",
    "kiosk": "kiosk",
}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "gate",
        help="run the edge agent of one gate lane",
        description=(
            "Read the thermometer and code readers, publish each passage, act on the decision. "
            "Settings: --config TOML file, then CAMPUSGATE_* variables, then these options."
        ),
    )
    parser.add_argument("--config", type=Path, help="gate TOML file (deploy/gate.example.toml)")
    parser.add_argument("--site", help="site name (env CAMPUSGATE_SITE)")
    parser.add_argument("--gate", help="this lane's gate name (env CAMPUSGATE_GATE)")
    parser.add_argument("--broker", help="mqtt://host:port (env CAMPUSGATE_MQTT__URL)")
    parser.add_argument("--direction", choices=["in", "out"])
    parser.add_argument("--lane", choices=["person", "vehicle"])
    parser.add_argument(
        "--thermometer", help="serial:///dev/ttyUSB0?protocol=gy-mcu90614[&offset=2.5] or none"
    )
    parser.add_argument("--camera", help="device index, video file, URL, image folder, or none")
    parser.add_argument("--scanner", help="serial:///dev/ttyACM0, stdin (keyboard wedge), or none")
    parser.add_argument("--relay", help="serial:///dev/ttyUSB1[?relay=1], or none (guard only)")
    parser.add_argument("--decoder", choices=["zxing", "pyzbar"])
    parser.add_argument("--camera-fps", type=float, help="pace an image folder or video file")
    parser.add_argument(
        "--camera-loop", action="store_true", default=None, help="loop an image folder or video"
    )
    parser.add_argument("--decision-timeout", type=float, help="seconds to wait for a decision")
    parser.add_argument("--pairing-window", type=float, help="seconds a scan waits for a reading")
    parser.add_argument("--pulse", type=float, help="seconds the turnstile stays released")
    parser.add_argument("--outbox", type=Path, help="outbox file (default var/gate-outbox.db)")
    parser.add_argument(
        "--snapshot", type=Path, help="whitelist snapshot file (default var/gate-snapshot.bin)"
    )
    parser.add_argument(
        "--site-keys", type=Path, help="the site's public keys (campusgate keys export)"
    )
    parser.add_argument(
        "--kiosk",
        metavar="HOST:PORT",
        help="serve the guard's kiosk on this gate (e.g. 0.0.0.0:8080; a bare PORT: 127.0.0.1)",
    )
    parser.add_argument(
        "--http",
        metavar="HOST:PORT",
        help="serve /healthz, /readyz and /metrics here (e.g. 127.0.0.1:9101)",
    )
    _add_guard_and_check_options(parser)
    add_log_format(parser)
    parser.set_defaults(handler=run)


def _add_guard_and_check_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--console",
        action="store_true",
        help="read guard commands on stdin: nomask | recheck EVENT_ID CELSIUS | vehicle PLATE N",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="open every device, read a few seconds, print what came; exit 1 on a problem",
    )
    parser.add_argument(
        "--check-seconds", type=float, default=3.0, help="how long --check reads each device"
    )


def run(args: argparse.Namespace) -> int:
    from gateway.agent.runner import run_until_signalled
    from gateway.agent.settings import load_gate_settings

    overrides: dict[str, object] = {
        field: getattr(args, option)
        for option, field in OPTIONS.items()
        if getattr(args, option) is not None
    }
    if args.broker:
        overrides["mqtt"] = {"url": args.broker}
    if args.console and overrides.get("scanner") == "stdin":
        from kernel.errors import ConfigError

        raise ConfigError("--console and --scanner stdin both want standard input")
    settings = load_gate_settings(args.config, **overrides)
    if args.check:
        import sys

        from kernel.errors import ConfigError

        if not 0 < args.check_seconds <= MAX_CHECK_SECONDS:
            raise ConfigError(f"--check-seconds must be within 0..{MAX_CHECK_SECONDS}")

        from gateway.agent.check import check_devices

        return 1 if check_devices(settings, out=sys.stdout, seconds=args.check_seconds) else 0
    from ui.i18n import lang_arg

    return run_until_signalled(
        settings, console=args.console, http=args.http, lang=lang_arg(args.lang)
    )
