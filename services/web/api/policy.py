"""The site's policy for the administrator: the current version, the editor (preview the
changes, then save with a reason against the version read), the response level (preview
what it replaces, then switch) and the levels' own forms."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request

from schemas.names import NAME_PATTERN
from services.policy.service import PolicyVersion
from services.web.admin import policy_editor as editor
from services.web.admin import service
from services.web.admin.models import LevelSwitch, PolicyView
from services.web.admin.policy_models import (
    LevelEdit,
    LevelEditPreview,
    LevelForm,
    LevelSwitchPreview,
    PolicyEdit,
    PolicyPreview,
)
from services.web.api.common import PROBLEMS
from services.web.auth.roles import Permission, Principal
from services.web.context import context
from services.web.http import require

router = APIRouter(prefix="/api/v1/policy", tags=["policy"], responses=PROBLEMS)

Admin = Annotated[Principal, Depends(require(Permission.ADMINISTER))]
# Read by the route itself, no further than editor.MAX_BODY_BYTES: a huge body is refused.
Body = Annotated[bytes, Depends(editor.bounded_body)]
LevelPath = Annotated[str, Path(pattern=NAME_PATTERN)]


def _body(model: type[Any]) -> dict[str, Any]:
    """The OpenAPI request body of a route that reads its own (bounded) body."""
    schema = model.model_json_schema()
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


@router.get("", response_model=PolicyView)
def current(principal: Admin, request: Request) -> PolicyView:
    """The current policy version (who changed it, why) and the levels one can switch to."""
    ctx = context(request)
    with ctx.transaction() as session:
        return service.policy_view(session, ctx)


@router.post("/preview", response_model=PolicyPreview, openapi_extra=_body(PolicyEdit))
def preview(raw: Body, principal: Admin, request: Request) -> PolicyPreview:
    """What saving this whole policy would change, field by field, in words; or its problems."""
    body = editor.parse(PolicyEdit, raw, principal.lang)
    ctx = context(request)
    with ctx.transaction() as session:
        return editor.preview(session, ctx, principal.lang, body)


@router.put("", response_model=PolicyVersion, openapi_extra=_body(PolicyEdit))
def save(raw: Body, principal: Admin, request: Request) -> PolicyVersion:
    """Save the whole policy as a new version, with who and why; 409 if it moved meanwhile."""
    body = editor.parse(PolicyEdit, raw, principal.lang)
    ctx = context(request)
    with ctx.transaction() as session:
        return editor.save(session, ctx, principal, body, ctx.now())


@router.post("/level/preview", response_model=LevelSwitchPreview)
def switch_preview(body: LevelSwitch, principal: Admin, request: Request) -> LevelSwitchPreview:
    """What switching to a level changes, and which hand-set values it would replace."""
    ctx = context(request)
    with ctx.transaction() as session:
        return editor.switch_preview(session, ctx, principal.lang, body.level)


@router.post("/level", response_model=PolicyVersion)
def switch_level(body: LevelSwitch, principal: Admin, request: Request) -> PolicyVersion:
    """Switch the epidemic response level in one action: one new version, with who and why.

    409 ``level_overrides`` (each field, hand-set value and the level's in ``fields``) when
    the level would replace hand-set values and ``replace_hand_set`` is not given.
    """
    ctx = context(request)
    with ctx.transaction() as session:
        return editor.switch_level(session, ctx, principal, body, ctx.now())


@router.post(
    "/levels/{name}/preview", response_model=LevelEditPreview, openapi_extra=_body(LevelEdit)
)
def level_preview(
    name: LevelPath, raw: Body, principal: Admin, request: Request
) -> LevelEditPreview:
    """What saving this level's form would change, field by field; or its problems."""
    body = editor.parse(LevelEdit, raw, principal.lang)
    ctx = context(request)
    with ctx.transaction() as session:
        return editor.level_preview(session, ctx, principal.lang, name, body)


@router.put("/levels/{name}", response_model=LevelForm, openapi_extra=_body(LevelEdit))
def save_level(name: LevelPath, raw: Body, principal: Admin, request: Request) -> LevelForm:
    """Define or change a level from its form, with who and why; 409 if it moved meanwhile."""
    body = editor.parse(LevelEdit, raw, principal.lang)
    ctx = context(request)
    with ctx.transaction() as session:
        return editor.save_level(session, ctx, principal, name, body)
