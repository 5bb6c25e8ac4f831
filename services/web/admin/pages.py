"""Administration pages: visitor appointments (request, approve with the QR, refuse),
temporary passes (issue with the QR, revoke), the roster upload (dry run, then import)
and the epidemic response level; their
buttons call the JSON API (``static/js/admin.js``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.identity.documents import DOC_LABELS_ZH, DOC_TYPES
from services.passes.service import list_categories
from services.web.admin import cards, policy_editor, service
from services.web.auth.roles import Permission, Principal
from services.web.context import context
from services.web.gates.service import known_gates
from services.web.http import render, require

router = APIRouter(include_in_schema=False)

Admin = Annotated[Principal, Depends(require(Permission.ADMINISTER))]


@router.get("/admin/appointments")
def appointments_page(request: Request, principal: Admin) -> Response:
    ctx = context(request)
    with ctx.transaction() as session:
        found = service.list_appointments(session, ctx, None)
        approvers = service.list_approvers(session)
    return render(
        request,
        "appointments.html",
        principal=principal,
        appointments=found,
        approvers=approvers,
        gates=ctx.settings.web.gates,
        tz=ctx.tz,
    )


@router.get("/admin/policy")
def policy_page(request: Request, principal: Admin) -> Response:
    """The policy editor: every setting as a form, the changes before saving, the level."""
    ctx = context(request)
    with ctx.transaction() as session:
        view = policy_editor.editor_view(session, ctx, principal.lang)
    return render(request, "policy.html", principal=principal, view=view, tz=ctx.tz)


@router.get("/admin/policy/levels")
def policy_levels_page(request: Request, principal: Admin) -> Response:
    """The response levels, a form each (and one for a new level)."""
    ctx = context(request)
    with ctx.transaction() as session:
        levels = policy_editor.level_forms(session, ctx)
        gates = sorted(known_gates(session, ctx))
    return render(request, "policy_levels.html", principal=principal, levels=levels, gates=gates)


@router.get("/admin/passes")
def passes_page(request: Request, principal: Admin) -> Response:
    ctx = context(request)
    with ctx.transaction() as session:
        found = service.list_passes(session, ctx)
        categories = list_categories(session=session)
    return render(
        request,
        "passes.html",
        principal=principal,
        passes=found,
        categories=categories,
        gates=ctx.settings.web.gates,
        tz=ctx.tz,
    )


@router.get("/admin/roster")
def roster_page(request: Request, principal: Admin) -> Response:
    labels = DOC_LABELS_ZH if principal.lang == "zh-CN" else {d: d for d in DOC_TYPES}
    ctx = context(request)
    with ctx.transaction() as session:
        units = cards.units(session)
    return render(request, "roster.html", principal=principal, units=units,
                  doc_types=[(d, labels[d]) for d in DOC_TYPES])  # fmt: skip
