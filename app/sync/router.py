from typing import Annotated

from fastapi import APIRouter, Query, Request

from app.auth import Reader
from app.db import SessionDep
from app.pagination import DEFAULT_LIMIT, MAX_LIMIT, envelope
from app.responses import JSONResponse
from app.schemas import PROBLEM_RESPONSES
from app.sync import service
from app.sync.schemas import SyncPageOut

router = APIRouter(prefix="/sync", tags=["sync"])


@router.get(
    "",
    summary="Read changes since a cursor",
    response_model=SyncPageOut,
    responses=PROBLEM_RESPONSES,
)
def read_sync(
    request: Request,
    session: SessionDep,
    viewer: Reader,
    cursor: Annotated[
        str | None,
        Query(
            max_length=512,
            description="`meta.next_cursor` of the last page; none: from the beginning.",
        ),
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="Changes per page, 1 to 100.")
    ] = DEFAULT_LIMIT,
) -> JSONResponse:
    """Changes since a cursor, oldest first: articles, authors, sections, tags, photos and
    News Feed entries, each an `upsert` with the object or a `delete` tombstone (also for
    what left the caller's view). Follow `links.next` while `meta.has_more`; keep
    `meta.next_cursor` to resume later."""
    page = service.sync_page(session, viewer, service.decode(cursor), limit)
    next_cursor = service.encode(page.next_key) if page.next_key else None
    # `next_cursor` is there to resume later even at the end; `links.next` only while more.
    meta = {"next_cursor": next_cursor, "has_more": page.has_more, "limit": limit}
    return envelope(
        request, page.items, meta=meta, headers={"Surrogate-Key": "sync"}, more=page.has_more
    )
