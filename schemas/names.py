"""Name rules shared by topics and payloads: site and gate identifiers."""

import re
from typing import Annotated

from pydantic import StringConstraints

NAME_PATTERN = r"^[a-z0-9][a-z0-9-]{0,31}$"
NAME_RE = re.compile(NAME_PATTERN)

SiteName = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
GateName = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]


def is_valid_name(value: str) -> bool:
    """True when ``value`` is a legal site or gate name (DESIGN section 3)."""
    return NAME_RE.fullmatch(value) is not None
