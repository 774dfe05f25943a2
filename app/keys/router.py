from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.auth import Admin
from app.contract import conform
from app.db import SessionDep
from app.editorial import Editor
from app.keys import service
from app.keys.schemas import KeyCreate, KeyCreated, KeyOut, UsageDay, key_out, usage_out
from app.pagination import PageDep, list_response
from app.responses import JSONResponse
from app.schemas import PROBLEM_RESPONSES, Many, One
from app.urls import object_path

router = APIRouter(prefix="/keys", tags=["keys"])


@router.post(
    "",
    summary="Create an API key",
    status_code=201,
    response_model=One[KeyCreated],
    responses=PROBLEM_RESPONSES,
)
def create_key(
    body: KeyCreate, request: Request, session: SessionDep, admin: Admin
) -> JSONResponse:
    """Create a key. Its `secret` is in this answer and nowhere else, ever."""
    new = service.create_key(session, **body.model_dump(), who=Editor.of(request, admin))
    return JSONResponse(
        {"data": conform(request, {**key_out(new.key), "secret": new.secret})},
        status_code=201,
        headers={"Cache-Control": "no-store", "Location": object_path("keys", new.key.id)},
    )


@router.get("", summary="List API keys", response_model=Many[KeyOut], responses=PROBLEM_RESPONSES)
def list_keys(request: Request, session: SessionDep, page: PageDep, _: Admin) -> JSONResponse:
    """Keys, newest first (revoked ones too); never their secrets."""
    result = service.list_keys(session, page=page)
    return list_response(request, result, [key_out(k) for k in result.items], page.limit)


@router.get(
    "/{key_id}", summary="Read an API key", response_model=One[KeyOut], responses=PROBLEM_RESPONSES
)
def read_key(key_id: str, request: Request, session: SessionDep, _: Admin) -> JSONResponse:
    """One key."""
    return JSONResponse(
        {"data": conform(request, key_out(service.get_key(session, key_id=key_id)))}
    )


@router.delete(
    "/{key_id}", summary="Revoke an API key", status_code=204, responses=PROBLEM_RESPONSES
)
def revoke_key(key_id: str, request: Request, session: SessionDep, admin: Admin) -> Response:
    """Revoke a key: it stops working on every worker within seconds."""
    service.revoke_key(session, key_id=key_id, who=Editor.of(request, admin))
    return Response(status_code=204)


@router.get(
    "/{key_id}/usage",
    summary="Read a key's usage",
    response_model=Many[UsageDay],
    responses=PROBLEM_RESPONSES,
)
def key_usage(
    key_id: str,
    request: Request,
    session: SessionDep,
    _: Admin,
    since: Annotated[date | None, Query(description="First day, inclusive (UTC).")] = None,
    until: Annotated[date | None, Query(description="Last day, inclusive (UTC).")] = None,
) -> JSONResponse:
    """Requests and items served per UTC day."""
    days = service.get_usage(session, key_id=key_id, since=since, until=until)
    return JSONResponse(
        {
            "data": conform(request, [usage_out(u) for u in days]),
            "meta": {"next_cursor": None, "limit": len(days)},
            "links": {"next": None},
        }
    )
