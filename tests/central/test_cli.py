"""The command line as a user runs it: keys, codes, database, and the unattended demo."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kernel.codes import KeyRing, Verifier
from services.cli.main import main


def test_keys_and_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    keys = tmp_path / "keys"
    assert main(["keys", "new", "--dir", str(keys)]) == 0
    kid = capsys.readouterr().out.strip()
    assert (keys / f"{kid}.key").stat().st_mode & 0o077 == 0
    png = tmp_path / "code.png"
    db = f"sqlite:///{tmp_path}/cg.db"
    args = [
        "code",
        "issue",
        "--db",
        db,
        "--keys",
        str(keys),
        "--person",
        "S1",
        "--type",
        "health",
        "--health",
        "green",
        "--ttl",
        "10m",
        "--png",
        str(png),
    ]
    assert main(args) == 0
    code = capsys.readouterr().out.strip()
    claims = Verifier(KeyRing.load(keys)).verify(code, datetime.now(UTC))
    assert (claims.sub, claims.typ, claims.hs) == ("S1", "health", "green")
    assert png.read_bytes().startswith(b"\x89PNG")
    issue_id = ["code", "issue", "--db", db, "--keys", str(keys), "--person", "S1", "--type", "id"]
    assert main([*issue_id, "--ttl", "ten minutes"]) == 2
    assert "bad TTL" in capsys.readouterr().err
    assert main([*issue_id, "--health", "red"]) == 2
    assert main(["keys", "list", "--dir", str(keys)]) == 0
    assert f"* {kid}" in capsys.readouterr().out
    assert main(["keys", "retire", "--db", db, "--dir", str(keys), "--kid", kid]) == 2


def test_db_upgrade(tmp_path: Path) -> None:
    assert main(["db", "upgrade", "--db", f"sqlite:///{tmp_path}/x/cg.db"]) == 0
    assert (tmp_path / "x/cg.db").exists()


@pytest.mark.slow
@pytest.mark.mqtt
def test_headless_demo_loses_nothing(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "services.cli.main",
            "demo",
            "--headless",
            "--duration",
            "4",
            "--rate",
            "10",
            "--workdir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    summary = result.stdout.strip().splitlines()[-1]
    assert "lost 0" in summary
    assert "unexpected 0" in summary
    assert "isolate" in result.stdout or "ADMIT" in result.stdout
