"""The broker files without a broker: gates file parsing, $7$ hashes, topic rights, secrets."""

from __future__ import annotations

import base64
import itertools
import json
import stat
import subprocess
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernel.errors import ConfigError
from schemas.topics import GateChannel, SiteChannel, gate_topic, matches, site_topic
from services.broker_admin import (
    Role,
    grants,
    hash_password,
    load_inventory,
    new_password,
    render_dynsec,
    verify_password,
    write_broker_files,
)
from services.broker_admin.generate import BrokerOptions, TlsFiles
from services.broker_admin.inventory import Account, parse_inventory
from services.broker_admin.local_broker import REQUIRED_SETTINGS
from services.broker_admin.passwords import SALT_BYTES
from services.broker_admin.secrets_file import read_secrets, variable_name
from services.cli.main import main
from tests.fixtures.pki import make_pki
from tests.fixtures.secure_broker import GATES_TOML

GATES_CSV = """role,site,name,user
gate,main,north-1,
gate,main,south-2,
gate,main,rotate-1,
central,*,central,
web,main,web,
admin,*,ops,
"""


# -- passwords -----------------------------------------------------------------


def test_hash_matches_mosquitto_passwd(tmp_path: Path) -> None:
    path = tmp_path / "passwd"
    subprocess.run(["mosquitto_passwd", "-c", "-b", str(path), "alice", "s3cret"], check=True)
    user, theirs = path.read_text(encoding="utf-8").strip().split(":", 1)
    assert user == "alice"
    assert verify_password("s3cret", theirs)
    assert not verify_password("s3cret!", theirs)
    salt = base64.b64decode(theirs.split("$")[3])
    assert len(salt) == SALT_BYTES
    assert hash_password("s3cret", salt=salt) == theirs  # byte for byte what mosquitto writes


@settings(max_examples=40, deadline=None)
@given(st.text(min_size=1, max_size=64))
def test_hash_round_trip(password: str) -> None:
    hashed = hash_password(password)
    assert hashed.startswith("$7$101$")
    assert verify_password(password, hashed)
    assert not verify_password(password + "x", hashed)


@pytest.mark.parametrize(
    "bad", ["", "$6$abc$def", "$7$101$salt", "$7$x$AAAA$BBBB", "$7$101$!!$AAAA", "$7$101$AAAA$AAAA"]
)
def test_malformed_hashes_are_config_errors(bad: str) -> None:
    with pytest.raises(ConfigError):
        verify_password("x", bad)


def test_new_passwords_are_random_and_url_safe() -> None:
    passwords = {new_password() for _ in range(200)}
    assert len(passwords) == 200
    for password in passwords:
        assert len(password) == 32
        assert not password.startswith("-")
        assert password.replace("-", "").replace("_", "").isalnum()


# -- gates file ----------------------------------------------------------------


def test_toml_and_csv_give_the_same_accounts(tmp_path: Path) -> None:
    (tmp_path / "g.toml").write_text(GATES_TOML, encoding="utf-8")
    (tmp_path / "g.csv").write_text(GATES_CSV, encoding="utf-8")
    from_toml = load_inventory(tmp_path / "g.toml")
    assert from_toml == load_inventory(tmp_path / "g.csv")
    by_user = {a.user: a for a in from_toml}
    assert by_user["north-1"] == Account("north-1", Role.GATE, ("main",), "north-1")
    assert by_user["central"] == Account("central", Role.CENTRAL, ("main",))


def test_same_gate_name_on_two_sites_needs_its_own_user() -> None:
    text = '[[gate]]\nsite="a"\ngate="g1"\n[[gate]]\nsite="b"\ngate="g1"\n'
    central = '[[service]]\nrole="central"\nuser="central"\n'
    with pytest.raises(ConfigError, match="already taken"):
        parse_inventory(text + central, csv_format=False)
    fixed = text.replace('site="b"\ngate="g1"', 'site="b"\ngate="g1"\nuser="b-g1"')
    accounts = parse_inventory(fixed + central, csv_format=False)
    assert {a.user for a in accounts} == {"g1", "b-g1", "central"}
    assert next(a for a in accounts if a.role is Role.CENTRAL).sites == ("a", "b")


@pytest.mark.parametrize(
    ("text", "csv_format", "message"),
    [
        ("[[gate]]\nsite='main'\ngate='North 1'\n", False, "gate"),
        ("[[gate]]\nsite='main'\ngate='n1'\ncolour='red'\n", False, "colour"),
        ("[[gate]]\nsite='main'\ngate='n1'\n", False, "no central account"),
        ("[[service]]\nrole='central'\nuser='c'\n", False, "no gates"),
        ("[[service]]\nrole='root'\nuser='c'\n", False, "role"),
        ("gate = [", False, "not valid TOML"),
        ("role,site\ngate,main\n", True, "missing"),
        ("role,site,name\ngate,main,n1\ncentral,*,c\ngate,main,n1\n", True, "listed twice"),
        ("role,site,name\ngate,main,n1\nwizard,*,c\n", True, "line 3"),
        ("role,site,name\ngate,main,n1\ncentral,*,n1\n", True, "both gate and central"),
    ],
)
def test_bad_gates_files_say_what_is_wrong(text: str, csv_format: bool, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_inventory(text, csv_format=csv_format)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300), st.booleans())
def test_any_text_is_accounts_or_a_config_error(text: str, csv_format: bool) -> None:
    try:
        accounts = parse_inventory(text, csv_format=csv_format)
    except ConfigError:
        return
    assert any(a.role is Role.CENTRAL for a in accounts)


def test_gates_file_suffix_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\.toml or \.csv"):
        load_inventory(tmp_path / "gates.yaml")
    with pytest.raises(ConfigError, match="cannot read"):
        load_inventory(tmp_path / "absent.toml")


# -- ACL -------------------------------------------------------------------------

SITES = ("main", "east")
GATES = ("north-1", "south-2")


def allowed(account: Account, access: str, topic: str) -> bool:
    return any(
        g.access in (access, "readwrite") and matches(g.topic, topic) for g in grants(account)
    )


def shares(account: Account) -> list[str]:
    return [g.topic for g in grants(account) if g.access == "share"]


def every_topic() -> list[str]:
    topics = [gate_topic(s, g, c) for s, g, c in itertools.product(SITES, GATES, GateChannel)]
    return topics + [site_topic(s, c) for s, c in itertools.product(SITES, SiteChannel)]


def test_a_gate_may_touch_only_its_own_topics() -> None:
    gate = Account("north-1", Role.GATE, ("main",), "north-1")
    writes = {
        gate_topic("main", "north-1", GateChannel(c)) for c in ("passage", "status", "reading")
    }
    reads = {
        gate_topic("main", "north-1", GateChannel(c))
        for c in ("decision", "command", "snapshot", "snapshot-delta")
    }
    reads.add(site_topic("main", SiteChannel.POLICY))
    for topic in every_topic():
        assert allowed(gate, "write", topic) == (topic in writes), topic
        assert allowed(gate, "read", topic) == (topic in reads), topic
    assert shares(gate) == []


def test_service_accounts_stay_within_their_sites_and_channels() -> None:
    central = Account("central", Role.CENTRAL, ("main",))
    web = Account("web", Role.WEB, ("main",))
    ops = Account("ops", Role.ADMIN, ("main",))
    for topic in every_topic():
        in_site = topic.startswith("campusgate/v1/main/")
        channel = topic.rsplit("/", 1)[1] if "/gate/" in topic else topic.split("/", 3)[3]
        central_reads = in_site and channel in ("passage", "status")
        central_writes = in_site and channel in (
            "decision",
            "command",
            "snapshot",
            "snapshot-delta",
            "alert/fever",
            "policy",
        )
        web_reads = in_site and channel in (
            "passage",
            "decision",
            "command",
            "status",
            "reading",
            "alert/fever",
            "policy",
        )
        web_writes = in_site and channel in ("command", "passage")
        assert allowed(central, "read", topic) == central_reads, topic
        assert allowed(central, "write", topic) == central_writes, topic
        assert allowed(web, "read", topic) == web_reads, topic
        assert allowed(web, "write", topic) == web_writes, topic
        assert allowed(ops, "read", topic) == in_site
        assert allowed(ops, "write", topic) == in_site
    assert shares(central) == ["$share/central/campusgate/v1/main/gate/+/passage"]
    assert shares(web) == shares(ops) == []


def test_rules_file_has_one_client_and_role_per_account() -> None:
    accounts = parse_inventory(GATES_TOML, csv_format=False)
    document = json.loads(render_dynsec(accounts))
    assert document["defaultACLAccess"] == {
        "publishClientSend": False,
        "publishClientReceive": False,
        "subscribe": False,
        "unsubscribe": True,
    }
    clients = document["clients"]
    assert [c["username"] for c in clients] == [a.user for a in accounts]
    assert all("password" not in c for c in clients)  # logins stay with the password file
    roles = {r["rolename"]: r["acls"] for r in document["roles"]}
    expected = [[{"rolename": f"campusgate-{a.user}"}] for a in accounts]
    assert [c["roles"] for c in clients] == expected
    for account in accounts:
        acls = roles[f"campusgate-{account.user}"]
        joins = [a for a in acls if a["topic"].startswith("$share/")]
        if account.role is Role.CENTRAL:
            assert joins == [
                {
                    "acltype": "subscribeLiteral",
                    "priority": 0,
                    "allow": True,
                    "topic": "$share/central/campusgate/v1/main/gate/+/passage",
                }
            ]
        else:
            assert joins == [{"acltype": "subscribePattern", "topic": "$share/#",
                              "priority": 100, "allow": False}]  # fmt: skip


# -- written files -------------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_files_modes_and_passwords_kept_across_runs(tmp_path: Path) -> None:
    accounts = parse_inventory(GATES_TOML, csv_format=False)
    out = tmp_path / "broker"
    first = write_broker_files(accounts, out, BrokerOptions(data_dir=None))
    assert sorted(first.new_users) == sorted(a.user for a in accounts)
    for name in (
        "mosquitto/mosquitto.conf",
        "mosquitto/passwd",
        "mosquitto/dynamic-security.json",
        "secrets.env",
    ):
        assert _mode(out / name) == 0o600, name
    assert _mode(out / "mosquitto") == 0o700
    assert sorted(p.name for p in out.iterdir()) == ["mosquitto", "secrets.env"]
    secrets = read_secrets(out / "secrets.env")
    assert secrets[variable_name("north-1")] == first.passwords["north-1"]
    hashes = dict(
        line.split(":", 1) for line in (out / "mosquitto/passwd").read_text().splitlines()
    )
    assert all(verify_password(first.passwords[u], h) for u, h in hashes.items())
    # Drop a gate, add none: the others keep their passwords, the dropped one is gone.
    fewer = [a for a in accounts if a.user != "south-2"]
    second = write_broker_files(fewer, out, BrokerOptions(data_dir=None))
    assert second.new_users == []
    assert second.passwords == {u: p for u, p in first.passwords.items() if u != "south-2"}
    assert "south-2" not in (out / "mosquitto/passwd").read_text()
    third = write_broker_files(fewer, out, BrokerOptions(data_dir=None, rotate=("web",)))
    assert third.rotated == ["web"]
    assert third.passwords["web"] != first.passwords["web"]
    assert third.passwords["central"] == first.passwords["central"]
    with pytest.raises(ConfigError, match="unknown broker users: nobody"):
        write_broker_files(fewer, out, BrokerOptions(rotate=("nobody",)))
    everyone = write_broker_files(fewer, out, BrokerOptions(rotate_all=True))
    assert sorted(everyone.rotated) == sorted(a.user for a in fewer)


def test_config_has_the_required_settings_and_tls(tmp_path: Path) -> None:
    pki = make_pki(tmp_path / "pki")
    accounts = parse_inventory(GATES_TOML, csv_format=False)
    options = BrokerOptions(
        tls=TlsFiles(pki.cert, pki.key, pki.ca),
        port=None,
        config_dir=PurePosixPath("/mosquitto/config"),
        data_dir=PurePosixPath("/mosquitto/data"),
        plugin=PurePosixPath("/usr/lib/mosquitto_dynamic_security.so"),
    )
    files = write_broker_files(accounts, tmp_path / "out", options)
    lines = files.config.read_text(encoding="utf-8").splitlines()
    assert set(REQUIRED_SETTINGS) <= set(lines)
    for expected in (
        "allow_anonymous false",
        "password_file /mosquitto/config/passwd",
        "plugin /usr/lib/mosquitto_dynamic_security.so",
        "plugin_opt_config_file /mosquitto/config/dynamic-security.json",
        "listener 8883",
        "certfile /mosquitto/config/server.crt",
        "keyfile /mosquitto/config/server.key",
        "cafile /mosquitto/config/ca.crt",
        "persistence_location /mosquitto/data/",
    ):
        assert expected in lines
    assert "listener 1883" not in lines
    assert not any(line.startswith("acl_file") for line in lines)
    assert _mode(tmp_path / "out/mosquitto/server.key") == 0o600
    assert (tmp_path / "out/mosquitto/server.crt").read_bytes() == pki.cert.read_bytes()
    not_pem = BrokerOptions(tls=TlsFiles(pki.cert, tmp_path / "out/mosquitto/passwd"))
    with pytest.raises(ConfigError, match="not PEM"):
        write_broker_files(accounts, tmp_path / "x", not_pem)
    with pytest.raises(ConfigError, match="no listener"):
        write_broker_files(accounts, tmp_path / "x", BrokerOptions(port=None))


def test_cli_prints_passwords_only_when_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gates = tmp_path / "gates.csv"
    gates.write_text(GATES_CSV, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["broker", "config", "--gates", str(gates), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    passwords = read_secrets(out / "secrets.env").values()
    assert "new accounts: central, north-1, ops, rotate-1, south-2, web" in printed
    assert not any(p in printed for p in passwords)
    assert (
        main(["broker", "config", "--gates", str(gates), "--out", str(out), "--show-secrets"]) == 0
    )
    printed = capsys.readouterr().out
    assert all(p in printed for p in passwords)
    assert main(["broker", "config", "--gates", str(gates), "--out", str(out),
                 "--tls-cert", str(gates)]) == 2  # fmt: skip
    assert "--tls-cert and --tls-key go together" in capsys.readouterr().err
    assert main(["broker", "config", "--gates", str(gates), "--out", str(out), "--no-plain"]) == 2


def test_owner_must_exist(tmp_path: Path) -> None:
    accounts = parse_inventory(GATES_TOML, csv_format=False)
    with pytest.raises(ConfigError, match="no such user"):
        write_broker_files(accounts, tmp_path, BrokerOptions(owner="no-such-user-here"))


def test_unwritable_output_is_a_config_error(tmp_path: Path) -> None:
    import os

    accounts = parse_inventory(GATES_TOML, csv_format=False)
    out = tmp_path / "out"
    write_broker_files(accounts, out, BrokerOptions(owner=str(os.getuid())))
    assert (out / "mosquitto/passwd").stat().st_uid == os.getuid()
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(ConfigError, match="cannot write"):
        write_broker_files(accounts, blocker / "out")


def test_an_old_acl_file_is_removed_and_the_plugin_must_exist(tmp_path: Path) -> None:
    from services.broker_admin.mosquitto_conf import find_plugin

    accounts = parse_inventory(GATES_TOML, csv_format=False)
    stale = tmp_path / "out/mosquitto/acl"
    stale.parent.mkdir(parents=True)
    stale.write_text("user north-1\ntopic readwrite #\n")
    write_broker_files(accounts, tmp_path / "out", BrokerOptions(data_dir=None))
    assert not stale.exists()
    assert find_plugin().name == "mosquitto_dynamic_security.so"
    with pytest.raises(ConfigError, match="--plugin"):
        find_plugin([str(tmp_path)])
