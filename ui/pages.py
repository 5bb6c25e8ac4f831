"""What every page embeds the same way on both sides: JSON safe inside a ``<script>``."""

from __future__ import annotations

import json
from typing import Any

# What may not appear raw inside a <script> block: "<" starts "</script" and "<!--<script"
# (which swallows the rest of the page), ">" and "&" for good measure, and U+2028/U+2029,
# which end a line in older JavaScript parsers.  JSON reads the escapes back unchanged.
_SCRIPT_UNSAFE = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def script_json(value: Any) -> str:
    """``value`` as JSON that is safe inside any ``<script>`` element of a page."""
    return json.dumps(value, ensure_ascii=False, default=str).translate(_SCRIPT_UNSAFE)
