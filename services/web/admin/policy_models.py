"""Request and response models of the policy editor and the response levels' forms.

The policy and a level travel as plain JSON objects: the editor's rules
(``services.policy.editor``) read them and name every problem by its field, in the
reader's words, which a schema here could only report as one general error.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from schemas.names import NAME_PATTERN
from services.web.admin.policy_text import ChangeWords, FieldWords

Version = Annotated[int, Field(ge=0, le=2**31)]
# A level form's token (services.policy.editor.level_token): 16 hex digits or "new".
Token = Annotated[str, StringConstraints(pattern=r"^(new|[0-9a-f]{16})$")]
LevelName = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
# The reason is checked on save (with the words of its field), not by the schema.
FreeText = Annotated[str, StringConstraints(max_length=1000)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PolicyEdit(Model):
    """The whole policy as the editor shows it, the version it was read as, and why."""

    policy: dict[str, Any]
    base_version: Version
    reason: FreeText = ""


class PolicyPreview(Model):
    """What saving would change, field by field, against ``base_version``."""

    base_version: Version
    changes: list[ChangeWords]


class LevelSwitchPreview(Model):
    """What switching to ``level`` would change, and the hand-set values it would replace."""

    level: LevelName
    base_version: Version
    changes: list[ChangeWords]
    overrides: list[FieldWords]


class LevelEdit(Model):
    """A level's form: its settings, the token it was read as, and why."""

    level: dict[str, Any]
    base: Token
    reason: FreeText = ""


class LevelEditPreview(Model):
    base: Token
    changes: list[ChangeWords]


class LevelForm(Model):
    """One level as its form shows it, with the token to save it against."""

    name: LevelName
    base: Token
    settings: dict[str, Any]
