"""Issue 14, High 3: nothing shipped lets an anonymous client onto a broker.

The shipped ``deploy/mosquitto/campusgate.conf`` listened on every interface with
``allow_anonymous true``: an anonymous ``open`` reached a gate's turnstile.  Every
Mosquitto configuration in the repository is parsed here the way Mosquitto 2.0
reads it; the only anonymous broker left is the demo's and the tests' own one,
which listens on loopback only.  (The live refusal of an anonymous client by the
generated config: tests/broker/test_live_broker.py.)
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import pytest

from kernel.errors import ConfigError
from services.broker_admin.local_broker import LOOPBACK, render_config
from services.broker_admin.mosquitto_conf import ListenerPlan, render_secure_config
from tests.fixtures.deploy import ROOT

SHIPPED = ROOT / "deploy/mosquitto/campusgate.conf"
# The host layout the shipped file documents (docs/operations.md, "Broker accounts").
SHIPPED_PLAN = ListenerPlan(
    config_dir=PurePosixPath("/etc/campusgate/broker/mosquitto"),
    data_dir=PurePosixPath("/var/lib/mosquitto"),
    plugin=PurePosixPath("/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so"),
)
# The one place allowed to write an anonymous listener (render_config, loopback only).
ANONYMOUS_WRITER = "services/broker_admin/local_broker.py"


@dataclass
class Listener:
    port: str
    bind: str | None
    anonymous: bool | None = None  # per listener, when per_listener_settings is on


@dataclass
class MosquittoConfig:
    """What matters for access: listeners and who may log in without a password."""

    listeners: list[Listener] = field(default_factory=list)
    per_listener: bool = False
    anonymous: bool | None = None  # global; Mosquitto 2.0's default is false
    password_file: str | None = None
    plugins: list[str] = field(default_factory=list)

    def anonymous_listeners(self) -> list[Listener]:
        def admits(listener: Listener) -> bool:
            chosen = listener.anonymous if self.per_listener else self.anonymous
            return bool(chosen)

        return [listener for listener in self.listeners if admits(listener)]


def parse_mosquitto(text: str) -> MosquittoConfig:
    config = MosquittoConfig()
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition(" ")
        value = value.strip()
        if key == "listener":
            port, _, bind = value.partition(" ")
            config.listeners.append(Listener(port, bind.strip() or None))
        elif key == "port":  # the old default listener, on every interface
            config.listeners.append(Listener(value, None))
        elif key == "per_listener_settings":
            config.per_listener = value == "true"
        elif key == "allow_anonymous":
            allowed = value == "true"
            if config.per_listener and config.listeners:
                config.listeners[-1].anonymous = allowed
            else:
                config.anonymous = allowed
        elif key == "password_file":
            config.password_file = value
        elif key == "plugin":
            config.plugins.append(value)
    return config


def tracked_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return [ROOT / name for name in listed if not name.startswith("tests/")]


def mosquitto_configs() -> list[Path]:
    """Every shipped file Mosquitto could be pointed at."""
    return [
        path
        for path in tracked_files()
        if path.suffix == ".conf" and "listener" in path.read_text(encoding="utf-8")
    ]


def test_the_parser_sees_the_old_open_config() -> None:
    old = "listener 1883\nallow_anonymous true\n"
    assert [(x.port, x.bind) for x in parse_mosquitto(old).anonymous_listeners()] == [
        ("1883", None)
    ]
    per_listener = "per_listener_settings true\nlistener 1\nallow_anonymous true\nlistener 2\n"
    assert [x.port for x in parse_mosquitto(per_listener).anonymous_listeners()] == ["1"]
    assert parse_mosquitto("listener 1883\n").anonymous_listeners() == []


def test_every_shipped_broker_config_refuses_anonymous_clients() -> None:
    configs = mosquitto_configs()
    assert SHIPPED in configs
    for path in configs:
        config = parse_mosquitto(path.read_text(encoding="utf-8"))
        assert config.listeners, path
        assert config.anonymous_listeners() == [], path
        assert config.anonymous is False, f"{path}: say allow_anonymous false"
        assert config.password_file, path
        assert any(p.endswith("mosquitto_dynamic_security.so") for p in config.plugins), path


def test_no_shipped_file_turns_anonymous_access_on() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in tracked_files()
        if path.is_file()
        and "allow_anonymous true" in path.read_text(encoding="utf-8", errors="replace")
    ]
    assert offenders == [ANONYMOUS_WRITER]


def test_the_only_anonymous_broker_listens_on_loopback_only() -> None:
    config = parse_mosquitto(render_config(1883))
    assert [(x.port, x.bind) for x in config.anonymous_listeners()] == [("1883", "127.0.0.1")]
    for bind in LOOPBACK:
        assert parse_mosquitto(render_config(1883, bind=bind)).listeners[0].bind == bind
    for bind in ("0.0.0.0", "::", "192.168.1.10", "broker.campus.example"):  # noqa: S104
        with pytest.raises(ConfigError, match="loopback only"):
            render_config(1883, bind=bind)


def test_shipped_config_is_what_the_generator_writes() -> None:
    text = SHIPPED.read_text(encoding="utf-8")
    generated = render_secure_config(SHIPPED_PLAN)
    # The shipped file's own header, then exactly the generator's text.
    assert text[text.index(generated.splitlines()[0]) :] == generated
