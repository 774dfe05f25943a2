from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from app.audit import service
from app.auth import Admin
from app.db import SessionDep
from app.models import AuditEvent
from app.pagination import PageDep, list_response
from app.responses import JSONResponse
from app.schemas import PROBLEM_RESPONSES, Many
from app.timeparams import QueryTime, as_utc

router = APIRouter(prefix="/audit", tags=["audit"])


class AuditEventOut(BaseModel):
    id: str
    at: datetime
    key_id: str | None
    key_name: str | None
    action: str
    resource_type: str
    resource_id: str
    version: int | None
    request_id: str | None
    fields: list[str]


def event_out(event: AuditEvent) -> dict[str, Any]:
    return {name: getattr(event, name) for name in AuditEventOut.model_fields}


@router.get(
    "",
    summary="List the audit log",
    response_model=Many[AuditEventOut],
    responses=PROBLEM_RESPONSES,
)
def list_audit(
    request: Request,
    session: SessionDep,
    page: PageDep,
    _: Admin,
    resource_type: Annotated[
        str | None, Query(max_length=40, description="`article`, `author`, `key`, ...")
    ] = None,
    resource_id: Annotated[str | None, Query(max_length=40)] = None,
    key_id: Annotated[
        str | None, Query(max_length=40, description="Changes made by this key.")
    ] = None,
    action: Annotated[
        str | None, Query(max_length=60, description="Such as `article.publish`.")
    ] = None,
    since: Annotated[QueryTime | None, Query(description="At or after this time.")] = None,
) -> JSONResponse:
    """Every change, newest first: the key that made it, the action, the object, the time."""
    result = service.list_events(
        session,
        page=page,
        resource_type=resource_type,
        resource_id=resource_id,
        key_id=key_id,
        action=action,
        since=as_utc(since),
    )
    response = list_response(request, result, [event_out(e) for e in result.items], page.limit)
    response.headers["Cache-Control"] = "private, no-store"
    return response
