"""Writing a broker's files for a list of accounts: config, passwords, topic rules, secrets, TLS.

Layout of the output directory::

    OUT/secrets.env          plaintext passwords, mode 0600, for the operator and clients
    OUT/mosquitto/           everything the broker reads, and nothing else:
        mosquitto.conf  passwd  dynamic-security.json  [server.crt  server.key  ca.crt]

``OUT/mosquitto`` is mounted as a whole into a broker container (a directory,
not single files, so an atomic rewrite is seen after SIGHUP); ``config_dir`` is
where the broker sees it.  Broker files are mode 0600 and, with ``owner``,
belong to the broker's account (Mosquitto reads them only after dropping root).
"""

from __future__ import annotations

import pwd
import shutil
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from kernel.errors import ConfigError
from services.broker_admin.dynsec import render_dynsec
from services.broker_admin.inventory import Account
from services.broker_admin.mosquitto_conf import (
    CONFIG_FILE,
    DEFAULT_PORT,
    DEFAULT_TLS_PORT,
    DYNSEC_FILE,
    OLD_ACL_FILE,
    PASSWORD_FILE,
    TLS_CA_FILE,
    TLS_CERT_FILE,
    TLS_KEY_FILE,
    ListenerPlan,
    find_plugin,
    render_secure_config,
)
from services.broker_admin.passwords import new_password, render_password_file
from services.broker_admin.secrets_file import (
    SECRETS_FILE,
    read_secrets,
    render_secrets,
    variable_name,
    write_private,
)

DEFAULT_DATA_DIR = PurePath("/var/lib/mosquitto")
BROKER_SUBDIR = "mosquitto"
BROKER_FILE_MODE = 0o600


@dataclass(frozen=True, slots=True)
class TlsFiles:
    """The server certificate and key (PEM), and optionally a CA chain, to copy in."""

    cert: Path
    key: Path
    ca: Path | None = None


@dataclass(frozen=True, slots=True)
class BrokerOptions:
    port: int | None = DEFAULT_PORT  # None: TLS only
    tls_port: int = DEFAULT_TLS_PORT
    bind: str | None = None
    tls: TlsFiles | None = None
    config_dir: PurePath | None = None  # default: OUT/mosquitto as seen from here
    data_dir: PurePath | None = DEFAULT_DATA_DIR
    broker_user: str | None = None
    owner: str | None = None
    plugin: PurePath | None = None  # mosquitto_dynamic_security.so; default: this machine's
    rotate: Collection[str] = ()
    rotate_all: bool = False


@dataclass(frozen=True, slots=True)
class BrokerFiles:
    """What was written; ``passwords`` is ``{user: password}`` for the caller to show or not."""

    out_dir: Path
    passwords: dict[str, str]
    new_users: list[str] = field(default_factory=list)
    rotated: list[str] = field(default_factory=list)

    @property
    def broker_dir(self) -> Path:
        return self.out_dir / BROKER_SUBDIR

    @property
    def config(self) -> Path:
        return self.broker_dir / CONFIG_FILE

    @property
    def secrets(self) -> Path:
        return self.out_dir / SECRETS_FILE


def _passwords(
    accounts: list[Account], existing: dict[str, str], options: BrokerOptions
) -> tuple[dict[str, str], list[str], list[str]]:
    users = {a.user for a in accounts}
    unknown = sorted(set(options.rotate) - users)
    if unknown:
        raise ConfigError(f"cannot rotate unknown broker users: {', '.join(unknown)}")
    passwords: dict[str, str] = {}
    new_users: list[str] = []
    rotated: list[str] = []
    for user in sorted(users):
        kept = existing.get(variable_name(user))
        if kept is None:
            new_users.append(user)
        elif options.rotate_all or user in options.rotate:
            rotated.append(user)
        else:
            passwords[user] = kept
            continue
        passwords[user] = new_password()
    return passwords, new_users, rotated


def _owner_ids(owner: str | None) -> tuple[int, int] | None:
    """``USER`` by name, or a numeric id used as user and group (1883 in the Mosquitto image)."""
    if owner is None:
        return None
    if owner.isdigit():
        return int(owner), int(owner)
    try:
        entry = pwd.getpwnam(owner)
    except KeyError as exc:
        raise ConfigError(f"no such user {owner!r} to own the broker files") from exc
    return entry.pw_uid, entry.pw_gid


def _hand_over(path: Path, owner: tuple[int, int] | None) -> None:
    if owner is not None:
        try:
            shutil.chown(path, *owner)
        except PermissionError as exc:
            raise ConfigError(f"cannot hand {path} to the broker's user: {exc}") from exc


def _write_broker_file(path: Path, text: str, owner: tuple[int, int] | None) -> None:
    write_private(path, text, BROKER_FILE_MODE)
    _hand_over(path, owner)


def _read_pem(path: Path, what: str) -> str:
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the TLS {what} {path}: {exc}") from exc
    if "-----BEGIN " not in text:
        raise ConfigError(f"the TLS {what} {path} is not PEM")
    return text


def write_broker_files(
    accounts: list[Account], out_dir: Path, options: BrokerOptions | None = None
) -> BrokerFiles:
    """Write secrets.env and mosquitto/{mosquitto.conf,passwd,dynamic-security.json,TLS}."""
    options = options or BrokerOptions()
    if options.port is None and options.tls is None:
        raise ConfigError("no listener: give TLS files or keep the plain port")
    out_dir = out_dir.resolve()
    broker_dir = out_dir / BROKER_SUBDIR
    secrets_path = out_dir / SECRETS_FILE
    passwords, new_users, rotated = _passwords(accounts, read_secrets(secrets_path), options)
    owner = _owner_ids(options.owner)
    tls = options.tls
    if tls is not None:
        pems = {TLS_CERT_FILE: _read_pem(tls.cert, "certificate"),
                TLS_KEY_FILE: _read_pem(tls.key, "key")}  # fmt: skip
        if tls.ca is not None:
            pems[TLS_CA_FILE] = _read_pem(tls.ca, "CA")
        for name, text in pems.items():
            _write_broker_file(broker_dir / name, text, owner)
    plan = ListenerPlan(
        config_dir=options.config_dir or broker_dir,
        port=options.port,
        bind=options.bind,
        tls_port=options.tls_port if tls is not None else None,
        tls_ca=tls is not None and tls.ca is not None,
        data_dir=options.data_dir,
        broker_user=options.broker_user,
        plugin=options.plugin or find_plugin(),
    )
    _write_broker_file(broker_dir / PASSWORD_FILE, render_password_file(passwords), owner)
    _write_broker_file(broker_dir / DYNSEC_FILE, render_dynsec(accounts), owner)
    _write_broker_file(broker_dir / CONFIG_FILE, render_secure_config(plan), owner)
    # An acl file from an earlier version would only mislead whoever reads the directory.
    (broker_dir / OLD_ACL_FILE).unlink(missing_ok=True)
    _hand_over(broker_dir, owner)
    broker_dir.chmod(0o700)
    descriptions = {
        a.user: f"gate {a.sites[0]}/{a.gate}" if a.gate else f"{a.role} of {', '.join(a.sites)}"
        for a in accounts
    }
    write_private(secrets_path, render_secrets(passwords, descriptions))
    return BrokerFiles(out_dir=out_dir, passwords=passwords, new_users=new_users, rotated=rotated)
