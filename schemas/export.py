"""Export the JSON Schema of every wire message into ``schemas/json/``.

Run ``python -m schemas.export`` after changing a model; a test fails while the
committed files and the models disagree.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from schemas.messages import MESSAGE_MODELS
from schemas.snapshot import GateSnapshot, SnapshotDelta, SnapshotHeader

# The snapshot envelope's parts travel on the gate's snapshot topics (wire-contract.md).
SNAPSHOT_MODELS: dict[str, type[BaseModel]] = {
    "snapshot_header": SnapshotHeader,
    "snapshot": GateSnapshot,
    "snapshot_delta": SnapshotDelta,
}

JSON_DIR = Path(__file__).parent / "json"


def render_all() -> dict[str, str]:
    """File name -> JSON Schema text for every wire message."""
    rendered: dict[str, str] = {}
    models: dict[str, type[BaseModel]] = {**MESSAGE_MODELS, **SNAPSHOT_MODELS}
    for name, model in models.items():
        schema = model.model_json_schema(mode="serialization")
        schema["$id"] = f"https://campusgate.invalid/schemas/v1/{name}.json"
        rendered[f"{name}.json"] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    return rendered


def main() -> None:
    JSON_DIR.mkdir(exist_ok=True)
    for file_name, text in render_all().items():
        (JSON_DIR / file_name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
