"""The ID-number hash key of the example file is refused outside the demo (issue 14, Medium 10).

With ``CAMPUSGATE_ID_HASH_KEY`` left as ``deploy/compose.env.example`` ships it,
every ID hash could be reversed by anyone who read the example (ID numbers are a
small space).  The real commands run as an operator would run them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from services.demo.people import roster_csv, synthetic_people
from services.identity import DEMO_KEY, KEY_ENV, is_placeholder

ROOT = Path(__file__).resolve().parents[2]


def example_key() -> str:
    for line in (ROOT / "deploy" / "compose.env.example").read_text().splitlines():
        if line.startswith(f"{KEY_ENV}="):
            return line.split("=", 1)[1].strip()
    raise AssertionError(f"{KEY_ENV} is not in deploy/compose.env.example")


def campusgate(
    *args: str, key: str, tmp_path: Path, timeout: float = 120, **env: str
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **env, KEY_ENV: key,
           "CAMPUSGATE_DB__URL": f"sqlite:///{tmp_path / 'cg.db'}"}  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "services.cli.main", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    "key", [example_key(), DEMO_KEY.decode(), "00000000000000000000000000000000"]
)
def test_a_guessable_key_is_refused_by_the_roster_import(key: str, tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(roster_csv(synthetic_people(3)), encoding="utf-8")
    result = campusgate("roster", "import", str(roster), key=key, tmp_path=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "placeholder" in result.stderr
    assert "imported" not in result.stdout


def test_the_web_service_refuses_to_start_with_it(tmp_path: Path) -> None:
    result = campusgate(
        "web",
        "--port",
        "0",
        key=example_key(),
        tmp_path=tmp_path,
        timeout=60,
        CAMPUSGATE_WEB__SESSION_SECRET="a-session-secret-of-at-least-32-characters",
    )  # fmt: skip  (had it started, it would serve until the timeout)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "placeholder" in result.stderr


def test_a_random_key_is_taken(tmp_path: Path) -> None:
    key = os.urandom(32).hex()
    assert not is_placeholder(bytes.fromhex(key))
    roster = tmp_path / "roster.csv"
    roster.write_text(roster_csv(synthetic_people(3)), encoding="utf-8")
    result = campusgate("roster", "import", str(roster), key=key, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
