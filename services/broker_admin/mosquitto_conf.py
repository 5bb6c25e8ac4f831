"""The Mosquitto configuration of a secured broker: authenticated listeners, TLS, topic rules.

It carries the same required settings as every other configuration the
project writes (:data:`services.broker_admin.local_broker.REQUIRED_SETTINGS`: TCP_NODELAY, no
cap on queued QoS 1 messages, ...) and adds authentication: no anonymous
clients, a password file, and the topic rules in the dynamic security plugin's
file (:mod:`.dynsec` says why not an ``acl_file``).  ``per_listener_settings``
stays off so the plain and the TLS listener share one set of accounts and rights.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePath, PurePosixPath

from kernel.errors import ConfigError
from services.broker_admin.local_broker import REQUIRED_SETTINGS, persistence_settings

PASSWORD_FILE = "passwd"  # noqa: S105 (a file name)
DYNSEC_FILE = "dynamic-security.json"
OLD_ACL_FILE = "acl"  # written before the rules moved to the plugin; removed on the next run
PLUGIN_NAME = "mosquitto_dynamic_security.so"
# Where the eclipse-mosquitto image keeps the plugin (docker/2.0/Dockerfile upstream).
IMAGE_PLUGIN = PurePosixPath("/usr/lib") / PLUGIN_NAME
# Where distributions install it (Debian and Ubuntu: the multiarch directory).
HOST_PLUGIN_DIRS = (
    "/usr/lib/x86_64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
    "/usr/lib/arm-linux-gnueabihf",
    "/usr/lib64",
    "/usr/lib",
    "/usr/local/lib",
)
CONFIG_FILE = "mosquitto.conf"
TLS_CERT_FILE = "server.crt"
TLS_KEY_FILE = "server.key"
TLS_CA_FILE = "ca.crt"
DEFAULT_PORT = 1883
DEFAULT_TLS_PORT = 8883
TLS_MIN_VERSION = "tlsv1.2"


@dataclass(frozen=True, slots=True)
class ListenerPlan:
    """Where the broker listens and where it finds its files (paths as the broker sees them)."""

    config_dir: PurePath
    port: int | None = DEFAULT_PORT  # None: no plain listener
    bind: str | None = None  # None: every interface
    tls_port: int | None = None  # set when TLS files are given
    tls_ca: bool = False
    data_dir: PurePath | None = None  # None: no persistence (tests only)
    broker_user: str | None = None  # the account Mosquitto switches to when started as root
    plugin: PurePath = IMAGE_PLUGIN  # mosquitto_dynamic_security.so, as the broker sees it


def find_plugin(dirs: Iterable[str] = HOST_PLUGIN_DIRS) -> Path:
    """This machine's ``mosquitto_dynamic_security.so`` (ConfigError when there is none)."""
    for directory in dirs:
        candidate = Path(directory) / PLUGIN_NAME
        if candidate.is_file():
            return candidate
    raise ConfigError(
        f"cannot find {PLUGIN_NAME} (package mosquitto 2.0 or later); give its path "
        f"with --plugin ({IMAGE_PLUGIN} in the eclipse-mosquitto image)"
    )


def _listener(port: int, bind: str | None) -> str:
    return f"listener {port} {bind}" if bind else f"listener {port}"


def render_secure_config(plan: ListenerPlan) -> str:
    """The complete mosquitto.conf for ``plan``."""
    config_dir = plan.config_dir
    lines = [
        "# written by campusgate broker config: edit the gates file and re-run instead",
        "# One set of accounts and topic rules for every listener below.",
        "per_listener_settings false",
        "allow_anonymous false",
        f"password_file {config_dir / PASSWORD_FILE}",
        "# Topic rules, subscriptions included (an acl_file cannot refuse a subscription,",
        "# so a gate could join the central workers' shared subscription and starve them).",
        f"plugin {plan.plugin}",
        f"plugin_opt_config_file {config_dir / DYNSEC_FILE}",
    ]
    if plan.broker_user:
        lines.append(f"user {plan.broker_user}")
    lines += [
        "",
        "# Required by campusgate (services/broker_admin/local_broker.py says why).",
        *REQUIRED_SETTINGS,
    ]
    lines += ["", *persistence_settings(plan.data_dir)]
    if plan.port is not None:
        lines += ["", "# Plain MQTT: keep it on a trusted network or bound to localhost."]
        lines.append(_listener(plan.port, plan.bind))
    if plan.tls_port is not None:
        lines += [
            "",
            "# MQTT over TLS; clients authenticate with their password, not a certificate.",
            _listener(plan.tls_port, plan.bind),
            f"certfile {config_dir / TLS_CERT_FILE}",
            f"keyfile {config_dir / TLS_KEY_FILE}",
            f"tls_version {TLS_MIN_VERSION}",
        ]
        if plan.tls_ca:
            lines.append(f"cafile {config_dir / TLS_CA_FILE}")
    return "\n".join(lines) + "\n"
