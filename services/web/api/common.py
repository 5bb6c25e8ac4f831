"""Small helpers the API routers share: path parameter types and run-then-publish."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Path
from sqlalchemy.orm import Session

from schemas.names import NAME_PATTERN
from services.web.api.models import Problem
from services.web.context import Outbound, WebContext

T = TypeVar("T")

GatePath = Annotated[str, Path(pattern=NAME_PATTERN, description="gate name")]
CasePath = Annotated[str, Path(pattern=r"^[A-Za-z0-9-]{1,40}$", description="case id")]
UserPath = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9._-]{1,63}$", description="user name")]

PROBLEMS: dict[int | str, dict[str, object]] = {
    status: {"model": Problem} for status in (401, 403, 404, 409, 429, 503)
}


def run_and_publish(ctx: WebContext, work: Callable[[Session], tuple[T, list[Outbound]]]) -> T:
    """Run ``work`` in one transaction, commit, then publish what it asked to publish."""
    with ctx.transaction() as session:
        result, outbound = work(session)
    ctx.publish(outbound)
    return result
