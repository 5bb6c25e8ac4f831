"""The policy editor's and the levels' forms' calls into ``services.policy``, in the
reader's words.

The signed-in admin is who acts (``by=``); every save needs a reason and the version
(or level token) the form was read as.  Problems come back one per field
(:class:`~services.web.errors.InvalidInput` with ``fields``), a level that would replace
hand-set values as a :class:`~services.web.errors.Conflict` naming each of them.  The
caller commits.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from schemas.policy import Policy
from services.policy import editor, level_editor
from services.policy import service as policy
from services.roster.columns import KINDS
from services.web.admin.models import LevelSwitch
from services.web.admin.policy_models import (
    LevelEdit,
    LevelEditPreview,
    LevelForm,
    LevelSwitchPreview,
    PolicyEdit,
    PolicyPreview,
)
from services.web.admin.policy_text import (
    FieldWords,
    change_words,
    label,
    override_words,
    problem_words,
)
from services.web.auth.roles import Principal
from services.web.context import WebContext
from services.web.errors import Conflict, InvalidInput
from services.web.gates.service import known_gates
from ui.i18n import Lang, t

MAX_BODY_BYTES = 128 * 1024  # a whole policy of 1000 gates is about 40 KiB
HISTORY = 10
REASON = re.compile(r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]{4,200}$")


async def bounded_body(request: Request) -> bytes:
    """The request's body, read no further than :data:`MAX_BODY_BYTES` (a dependency)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise InvalidInput("payload_too_large", f"more than {MAX_BODY_BYTES} bytes")
    body = bytearray()
    chunks: AsyncIterator[bytes] = request.stream()
    async for chunk in chunks:
        body.extend(chunk)
        if len(body) > MAX_BODY_BYTES:
            raise InvalidInput("payload_too_large", f"more than {MAX_BODY_BYTES} bytes")
    return bytes(body)


M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], raw: bytes, lang: Lang) -> M:
    """``raw`` read as ``model``; its problems named field by field in ``lang``."""
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        problems = editor.problems_of(exc)
        raise InvalidInput("policy_invalid", _detail(problems), _fields(lang, problems)) from exc


def _detail(problems: list[editor.Problem]) -> str:
    return "; ".join(map(str, problems))[:1000]


def _fields(lang: Lang, problems: list[editor.Problem]) -> list[dict[str, Any]]:
    return [w.model_dump() for w in problem_words(lang, problems)]


def _invalid(lang: Lang, exc: editor.PolicyInvalid) -> InvalidInput:
    return InvalidInput("policy_invalid", _detail(exc.problems), _fields(lang, exc.problems))


def _reason(lang: Lang, reason: str) -> str:
    text = reason.strip()
    if not REASON.match(text):
        words = FieldWords(
            field="reason", label=label(lang, "reason"), text=t(lang, "policy.error.reason")
        )
        raise InvalidInput("policy_invalid", "reason: 4-200 characters", [words.model_dump()])
    return text


def _gates(session: Session, ctx: WebContext) -> set[str]:
    return known_gates(session, ctx)


# --- the page ---------------------------------------------------------------------------------


def editor_view(session: Session, ctx: WebContext, lang: Lang) -> dict[str, Any]:
    """What the editor page shows: the version in force, its settings, the gates and kinds."""
    current = policy.current_version(session=session, site=ctx.site)
    rules = current.policy if current else Policy(site=ctx.site)
    gates = sorted(_gates(session, ctx) | editor.gates_of(rules))
    versions = policy.history(session=session, site=ctx.site)[-HISTORY:]
    return {
        "current": current,
        "version": current.version if current else 0,
        "settings": json.loads(rules.model_dump_json()),
        "gates": gates,
        "kinds": [(kind, t(lang, f"kind.{kind}")) for kind in KINDS],
        "levels": policy.list_levels(session=session, site=ctx.site),
        "history": [
            t(
                lang,
                "policy.history_line",
                version=v.version,
                who=v.changed_by,
                why=v.reason,
                when=v.changed_at.astimezone(ctx.tz).strftime("%Y-%m-%d %H:%M"),
            )
            for v in reversed(versions)
        ],
    }


def level_forms(session: Session, ctx: WebContext) -> list[LevelForm]:
    return [
        LevelForm(
            name=level.name,
            base=level_editor.level_token(level),
            settings=json.loads(level.model_dump_json(exclude={"name"})),
        )
        for level in policy.list_levels(session=session, site=ctx.site)
    ]


# --- the policy -------------------------------------------------------------------------------


def preview(session: Session, ctx: WebContext, lang: Lang, body: PolicyEdit) -> PolicyPreview:
    try:
        version, found = editor.preview_policy(
            session, ctx.site, body.policy, gates=_gates(session, ctx), kinds=KINDS
        )
    except editor.PolicyInvalid as exc:
        raise _invalid(lang, exc) from exc
    return PolicyPreview(base_version=version, changes=change_words(lang, found))


def save(
    session: Session, ctx: WebContext, principal: Principal, body: PolicyEdit, now: datetime
) -> policy.PolicyVersion:
    reason = _reason(principal.lang, body.reason)
    try:
        return editor.save_policy(
            session, ctx.site, body.policy, base_version=body.base_version,
            by=principal.username, reason=reason, now=now, gates=_gates(session, ctx), kinds=KINDS,
        )  # fmt: skip
    except editor.PolicyInvalid as exc:
        raise _invalid(principal.lang, exc) from exc


# --- response levels --------------------------------------------------------------------------


def _overrides(lang: Lang, exc: policy.LevelOverrides) -> Conflict:
    words = override_words(lang, exc.level, exc.overrides)
    return Conflict("level_overrides", str(exc), [w.model_dump() for w in words])


def switch_preview(session: Session, ctx: WebContext, lang: Lang, name: str) -> LevelSwitchPreview:
    level = policy.get_level(session=session, site=ctx.site, name=name)
    version = policy.current_version(session=session, site=ctx.site)
    current = version.policy if version else Policy(site=ctx.site)
    after = Policy.model_validate({**level.apply(current), "site": ctx.site})
    found = editor.changes(current, after)
    overrides = policy.hand_set_overrides(
        session=session, site=ctx.site, current=current, level=level
    )
    return LevelSwitchPreview(
        level=level.name,
        base_version=version.version if version else 0,
        changes=change_words(lang, found),
        overrides=override_words(lang, level.name, overrides),
    )


def switch_level(
    session: Session, ctx: WebContext, principal: Principal, body: LevelSwitch, now: datetime
) -> policy.PolicyVersion:
    try:
        return policy.switch_level(
            session=session, site=ctx.site, name=body.level, by=principal.username,
            reason=body.reason, now=now, replace_hand_set=body.replace_hand_set,
            base_version=body.base_version,
        )  # fmt: skip
    except policy.LevelOverrides as exc:
        raise _overrides(principal.lang, exc) from exc


def level_preview(
    session: Session, ctx: WebContext, lang: Lang, name: str, body: LevelEdit
) -> LevelEditPreview:
    try:
        base, found = level_editor.preview_level(
            session, ctx.site, name, body.level, gates=_gates(session, ctx)
        )
    except editor.PolicyInvalid as exc:
        raise _invalid(lang, exc) from exc
    return LevelEditPreview(base=base, changes=change_words(lang, found))


def save_level(
    session: Session, ctx: WebContext, principal: Principal, name: str, body: LevelEdit
) -> LevelForm:
    reason = _reason(principal.lang, body.reason)
    try:
        level = level_editor.save_level(
            session, ctx.site, name, body.level, base=body.base, by=principal.username,
            reason=reason, now=ctx.now(), gates=_gates(session, ctx),
        )  # fmt: skip
    except editor.PolicyInvalid as exc:
        raise _invalid(principal.lang, exc) from exc
    return LevelForm(
        name=level.name,
        base=level_editor.level_token(level),
        settings=json.loads(level.model_dump_json(exclude={"name"})),
    )
