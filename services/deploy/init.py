"""``campusgate deploy init DIR``: every secret, key and env file a fresh deployment needs.

Each file is written only when it is missing (mode 0600, atomically), so a
second run changes nothing and says what it kept; a file deleted by hand is made
again from what remains (an env file from the passwords still on disk).  The
broker's files are made once, by the same generator as ``campusgate broker
config``, which is also how gates are added later.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from kernel.codes.keys import export_public_keys, new_key
from kernel.errors import ConfigError
from services.broker_admin import Account, Role, load_inventory, new_password, write_broker_files
from services.broker_admin.generate import BrokerOptions
from services.broker_admin.mosquitto_conf import IMAGE_PLUGIN
from services.broker_admin.secrets_file import read_secrets, variable_name, write_private
from services.deploy import layout

SESSION_SECRET_BYTES = 48
ID_HASH_KEY_BYTES = 32
DIR_MODE = 0o700

DEFAULT_GATES = """\
# The broker accounts of this deployment: one [[gate]] per lane, the central workers, the web.
# Add a gate: list it here, then `campusgate broker config --gates THIS --out DIR/broker ...`
# (docs/operations.md, "Adding and removing gates").
[[gate]]
site = "{site}"
gate = "north-1"

[[service]]
role = "central"
user = "central"

[[service]]
role = "web"
user = "web"
"""


@dataclass(frozen=True, slots=True)
class InitOptions:
    site: str = "main"
    gates: Path | None = None  # a gates file to start from (default: one gate, north-1)
    web_port: int = 8080
    timezone: str = "Asia/Shanghai"
    report_at: str = "07:00"
    retention_at: str = "03:30"
    retention_days: int = 180
    owner: str | None = None  # uid[:gid] the containers run as (needs root)


@dataclass
class InitReport:
    directory: Path
    written: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


def init_deployment(directory: Path, options: InitOptions | None = None) -> InitReport:
    options = options or InitOptions()
    directory = directory.resolve()
    directory.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    report = InitReport(directory)
    gates_text = (
        options.gates.read_text(encoding="utf-8")
        if options.gates is not None
        else DEFAULT_GATES.format(site=options.site)
    )
    _write_new(directory / layout.GATES_FILE, gates_text, report)
    accounts = load_inventory(directory / layout.GATES_FILE)
    passwords = _broker_passwords(directory, accounts, report)
    db_password = _secret_file(
        directory / layout.SECRETS_DIR / layout.DB_PASSWORD, new_password, report
    )
    _env_files(directory, accounts, passwords, db_password, report)
    for account in accounts:
        if account.role is Role.GATE and account.gate is not None:
            path = directory / layout.SECRETS_DIR / layout.gate_secret(account.gate)
            _write_new(path, gate_config(account, passwords[account.user]), report)
    _keys(directory, report)
    backups = directory / layout.BACKUPS_DIR
    if not backups.exists():
        backups.mkdir(mode=DIR_MODE)
        report.written.append(layout.BACKUPS_DIR)
    _write_new(directory / layout.COMPOSE_ENV, compose_env(directory, options), report)
    if options.owner is not None:
        hand_over(directory, options.owner)
    return report


def _relative(report: InitReport, path: Path) -> str:
    return str(path.relative_to(report.directory))


def _write_new(path: Path, text: str, report: InitReport) -> bool:
    """Write ``path`` (0600) unless it exists; record which it was."""
    if path.exists():
        report.kept.append(_relative(report, path))
        return False
    path.parent.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    write_private(path, text)
    report.written.append(_relative(report, path))
    return True


def _secret_file(path: Path, make: Callable[[], str], report: InitReport) -> str:
    if path.exists():
        report.kept.append(_relative(report, path))
        return path.read_text(encoding="utf-8").strip()
    value = make()
    _write_new(path, value + "\n", report)
    return value


def _broker_passwords(
    directory: Path, accounts: list[Account], report: InitReport
) -> dict[str, str]:
    broker = directory / layout.BROKER_DIR
    secrets_env = broker / "secrets.env"
    if secrets_env.exists():
        report.kept.append(_relative(report, broker))
    else:
        write_broker_files(
            accounts,
            broker,
            BrokerOptions(
                config_dir=PurePosixPath(layout.BROKER_CONFIG_DIR),
                data_dir=PurePosixPath(layout.BROKER_DATA_DIR),
                plugin=IMAGE_PLUGIN,
            ),
        )
        report.written.append(_relative(report, broker))
    broker.chmod(DIR_MODE)
    stored = read_secrets(secrets_env)
    passwords = {a.user: stored.get(variable_name(a.user), "") for a in accounts}
    missing = sorted(user for user, password in passwords.items() if not password)
    if missing:
        raise ConfigError(
            f"{secrets_env} has no password for {', '.join(missing)}: run `campusgate broker "
            f"config --gates {directory / layout.GATES_FILE} --out {broker} --config-dir "
            f"{layout.BROKER_CONFIG_DIR} --data-dir {layout.BROKER_DATA_DIR} --plugin "
            f"{IMAGE_PLUGIN}` first"
        )
    return passwords


def _service_user(accounts: list[Account], role: Role) -> str:
    for account in accounts:
        if account.role is role:
            return account.user
    raise ConfigError(f'the gates file has no {role} account ([[service]] role = "{role}")')


def broker_url(user: str, password: str) -> str:
    return f"mqtt://{user}:{password}@{layout.BROKER_HOST}:{layout.BROKER_PORT}"


def db_url(password: str) -> str:
    return (
        f"postgresql+psycopg://{layout.DB_USER}:{password}@{layout.DB_HOST}:{layout.DB_PORT}/"
        f"{layout.DB_NAME}"
    )


def _env_files(
    directory: Path,
    accounts: list[Account],
    passwords: dict[str, str],
    db_password: str,
    report: InitReport,
) -> None:
    env = directory / layout.ENV_DIR
    central = _service_user(accounts, Role.CENTRAL)
    web = _service_user(accounts, Role.WEB)
    header = "# campusgate deploy init: secrets, keep this file private (mode 0600)\n"
    _write_new(env / layout.DB_ENV, f"{header}CAMPUSGATE_DB__URL={db_url(db_password)}\n", report)
    _write_new(
        env / layout.CENTRAL_ENV,
        f"{header}CAMPUSGATE_MQTT__URL={broker_url(central, passwords[central])}\n",
        report,
    )
    _write_new(
        env / layout.WEB_ENV,
        f"{header}CAMPUSGATE_MQTT__URL={broker_url(web, passwords[web])}\n"
        f"CAMPUSGATE_WEB__SESSION_SECRET={secrets.token_urlsafe(SESSION_SECRET_BYTES)}\n",
        report,
    )
    # One file both the central workers and the web service read: the two must hash an
    # ID-card number alike, or a number typed at a lane finds nobody.
    _write_new(
        env / layout.ID_HASH_ENV,
        f"{header}CAMPUSGATE_ID_HASH_KEY={secrets.token_hex(ID_HASH_KEY_BYTES)}\n",
        report,
    )


def gate_config(account: Account, password: str) -> str:
    """A gate's TOML as the compose gate service reads it (paths come from its command)."""
    return (
        "# campusgate deploy init: this gate's configuration, with its broker password.\n"
        "# Field names: deploy/gate.example.toml. No devices in a container: plug real ones\n"
        "# in with thermometer/camera/relay URLs (serial:///dev/ttyUSB0?...).\n"
        f'site = "{account.sites[0]}"\n'
        f'gate = "{account.gate}"\n'
        'thermometer = "none"\ncamera = "none"\nrelay = "none"\n'
        "[mqtt]\n"
        f'url = "{broker_url(account.user, password)}"\n'
    )


def _keys(directory: Path, report: InitReport) -> None:
    keys = directory / layout.KEYS_DIR
    site_keys = directory / layout.SITE_KEYS_DIR
    if (keys / "active").exists():
        report.kept.append(_relative(report, keys))
    else:
        keys.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
        new_key(keys)
        report.written.append(_relative(report, keys))
    if site_keys.exists():
        report.kept.append(_relative(report, site_keys))
    else:
        export_public_keys(keys, site_keys)
        site_keys.chmod(DIR_MODE)
        report.written.append(_relative(report, site_keys))


def compose_env(directory: Path, options: InitOptions) -> str:
    return (
        "# campusgate deploy init: what docker compose interpolates (no secrets here):\n"
        "#   docker compose --env-file THIS up -d --build\n"
        f"CAMPUSGATE_DEPLOY={directory}\n"
        f"CAMPUSGATE_SITE={options.site}\n"
        f"CAMPUSGATE_TZ={options.timezone}\n"
        "# the site's language (zh or en): reports, exports, CLI listings, the gate console\n"
        "CAMPUSGATE_LANG=zh\n"
        f"CAMPUSGATE_WEB_PORT={options.web_port}\n"
        f"CAMPUSGATE_REPORT_AT={options.report_at}\n"
        f"CAMPUSGATE_RETENTION_AT={options.retention_at}\n"
        f"CAMPUSGATE_RETENTION_DAYS={options.retention_days}\n"
        "# text, or json: one JSON object per log line (event_id and gate where there is one)\n"
        "CAMPUSGATE_LOG_FORMAT=text\n"
    )


def hand_over(directory: Path, owner: str) -> None:
    """Give the keys, site keys and gate configurations to the containers' user (``uid[:gid]``);
    the env files stay the operator's (docker compose reads them, not the containers)."""
    uid_text, _, gid_text = owner.partition(":")
    if not uid_text.isdigit() or (gid_text and not gid_text.isdigit()):
        raise ConfigError(f"--owner wants a numeric uid[:gid], not {owner!r}")
    uid, gid = int(uid_text), int(gid_text or uid_text)
    paths = [directory / layout.KEYS_DIR, directory / layout.SITE_KEYS_DIR,
             directory / layout.BACKUPS_DIR]  # fmt: skip
    paths += sorted((directory / layout.SECRETS_DIR).glob("gate-*.toml"))
    try:
        for path in paths:
            shutil.chown(path, uid, gid)
            if path.is_dir():
                for child in path.iterdir():
                    os.chown(child, uid, gid)
    except PermissionError as exc:
        raise ConfigError(f"cannot hand {directory} over to {owner}: {exc} (run as root)") from exc
