"""``campusgate broker config``: Mosquitto accounts, ACLs and listeners from a gates file."""

from __future__ import annotations

import argparse
from pathlib import Path, PurePosixPath


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("broker", help="broker security (Mosquitto)")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    config = actions.add_parser(
        "config",
        help="write mosquitto.conf, passwd, topic rules and secrets.env for the gates in a file",
        description="Per-gate and per-service broker accounts with their ACLs. Re-running "
        "keeps existing passwords (add or remove gates freely); --rotate makes new ones. "
        "Passwords go only to DIR/secrets.env (mode 0600) unless --show-secrets.",
    )
    config.add_argument("--gates", type=Path, required=True, help="gates file (.toml or .csv)")
    config.add_argument("--out", type=Path, required=True, help="directory to write into")
    config.add_argument("--port", type=int, default=1883, help="plain MQTT port (default 1883)")
    config.add_argument("--no-plain", action="store_true", help="TLS listener only")
    config.add_argument("--bind", help="address to listen on (default: every interface)")
    config.add_argument("--tls-cert", type=Path, help="server certificate (PEM)")
    config.add_argument("--tls-key", type=Path, help="server private key (PEM)")
    config.add_argument("--tls-ca", type=Path, help="CA chain of the certificate (PEM)")
    config.add_argument("--tls-port", type=int, default=8883, help="TLS port (default 8883)")
    config.add_argument(
        "--config-dir",
        type=PurePosixPath,
        help="where the broker sees OUT/mosquitto (e.g. /mosquitto/config in a container)",
    )
    config.add_argument(
        "--data-dir",
        type=PurePosixPath,
        default=PurePosixPath("/var/lib/mosquitto"),
        help="broker persistence directory (default /var/lib/mosquitto)",
    )
    config.add_argument("--no-persistence", action="store_true", help="keep nothing on disk")
    config.add_argument(
        "--plugin",
        type=PurePosixPath,
        help="mosquitto_dynamic_security.so as the broker sees it (default: this machine's; "
        "/usr/lib/mosquitto_dynamic_security.so in the eclipse-mosquitto image)",
    )
    config.add_argument("--broker-user", help="account Mosquitto switches to when run as root")
    config.add_argument(
        "--owner", help="hand the broker's files to this user or numeric id (needs root)"
    )
    config.add_argument("--rotate", action="append", default=[], metavar="USER",
                        help="new password for USER (repeatable)")  # fmt: skip
    config.add_argument("--rotate-all", action="store_true", help="new passwords for everyone")
    config.add_argument("--show-secrets", action="store_true", help="print user and password")
    config.set_defaults(handler=run_config)


def run_config(args: argparse.Namespace) -> int:
    from kernel.errors import ConfigError
    from services.broker_admin import load_inventory, write_broker_files
    from services.broker_admin.generate import BrokerOptions, TlsFiles

    if (args.tls_cert is None) != (args.tls_key is None):
        raise ConfigError("--tls-cert and --tls-key go together")
    if args.tls_ca is not None and args.tls_cert is None:
        raise ConfigError("--tls-ca needs --tls-cert and --tls-key")
    tls = TlsFiles(args.tls_cert, args.tls_key, args.tls_ca) if args.tls_cert else None
    if args.no_plain and tls is None:
        raise ConfigError("--no-plain needs --tls-cert and --tls-key")
    options = BrokerOptions(
        port=None if args.no_plain else args.port,
        tls_port=args.tls_port,
        bind=args.bind,
        tls=tls,
        config_dir=args.config_dir,
        data_dir=None if args.no_persistence else args.data_dir,
        broker_user=args.broker_user,
        owner=args.owner,
        plugin=args.plugin,
        rotate=args.rotate,
        rotate_all=args.rotate_all,
    )
    accounts = load_inventory(args.gates)
    files = write_broker_files(accounts, args.out, options)
    print(f"wrote {files.config} with {len(accounts)} accounts (passwords in {files.secrets})")
    if files.new_users:
        print(f"new accounts: {', '.join(files.new_users)}")
        print("restart the broker: it loads the new accounts' topic rules only when it starts")
    if files.rotated:
        print(f"new passwords: {', '.join(files.rotated)} (reload the broker: SIGHUP)")
    if args.show_secrets:
        for user, password in sorted(files.passwords.items()):
            print(f"{user} {password}")
    return 0
