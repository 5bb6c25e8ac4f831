"""Loading the site policy from a JSON or TOML file (versioned policies come later)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from pydantic import ValidationError

from kernel.errors import ConfigError
from schemas.policy import Policy


def load_policy(path: Path | None, *, site: str) -> Policy:
    """The policy in ``path`` (its ``site`` must match), or the defaults for ``site``."""
    if path is None:
        return Policy(site=site)
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read policy file {path}: {exc}") from exc
    data.setdefault("site", site)
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"policy file {path} is invalid: {exc}") from exc
    if policy.site != site:
        raise ConfigError(f"policy file {path} is for site {policy.site!r}, not {site!r}")
    return policy
