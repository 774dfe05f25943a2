from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.sse import EventSourceResponse, ServerSentEvent

from app import surrogate
from app.auth import Reader, authenticate, query_key, viewer_of
from app.contract import sparse
from app.db import SessionDep
from app.editorial import EditorDep
from app.errors import ProblemError
from app.feed import service, stream
from app.feed.schemas import FIELDS, FeedEntryCreate, FeedEntryOut, FeedEntryUpdate, feed_entry_out
from app.models import FeedKind
from app.pagination import PageDep, item_response, list_response, written_response
from app.policy import RouteOptions
from app.representation import FieldsDep
from app.responses import JSONResponse
from app.schemas import (
    DELETES,
    PATCHES,
    PROBLEM_RESPONSES,
    WRITE_RESPONSES,
    Many,
    One,
    creates,
)
from app.timeparams import QueryTime, as_utc
from app.urls import object_path
from app.visibility import Viewer

router = APIRouter(prefix="/feed", tags=["feed"])


@router.get(
    "",
    summary="List News Feed entries",
    response_model=Many[sparse(FeedEntryOut)],
    responses=PROBLEM_RESPONSES,
)
def list_feed(
    request: Request,
    session: SessionDep,
    page: PageDep,
    fields: FieldsDep,
    viewer: Reader,
    since: Annotated[
        QueryTime | None, Query(description="Only entries published strictly after this time.")
    ] = None,
    kind: Annotated[FeedKind | None, Query(description="Entry kind.")] = None,
) -> JSONResponse:
    """News Feed entries, newest first; poll with `since=`."""
    fields.check(FIELDS)
    result = service.list_entries(session, since=as_utc(since), kind=kind, page=page, viewer=viewer)
    data = [fields.apply(feed_entry_out(entry, slug)) for entry, slug in result.items]
    return list_response(request, result, data, page.limit, keys=[surrogate.FEED])


def _stream_start(
    _key: Annotated[None, Depends(query_key)],
    last_event_id: Annotated[
        str | None,
        Header(description="Sent by EventSource when it reconnects: resume after it."),
    ] = None,
    since: Annotated[
        QueryTime | None,
        Query(description="Without Last-Event-ID: first send what changed after this time."),
    ] = None,
) -> stream.Position:
    return stream.start_position(last_event_id, as_utc(since))


@router.get(
    "/stream",
    summary="Stream News Feed entries (Server-Sent Events)",
    # Never kept; its "latency" in the metrics is how long a connection stayed.
    dependencies=[Depends(RouteOptions(kept=False, resource="stream"))],
    response_class=EventSourceResponse,
    responses={**PROBLEM_RESPONSES, 200: {"description": "An endless text/event-stream"}},
)
async def stream_feed(
    request: Request, viewer: Reader, start: Annotated[stream.Position, Depends(_stream_start)]
) -> AsyncIterator[ServerSentEvent]:
    """News Feed entries as Server-Sent Events, for live pages.

    `upsert` (data: the entry, as `/v1/feed/{id}` gives it) when an entry appears or
    changes for you, `delete` (data: `{"id": ...}`) when it goes; each with an `id:` that
    EventSource sends back as `Last-Event-ID` to resume where it stopped. A `: heartbeat`
    comment comes every `STREAM_HEARTBEAT_SECONDS`; the server ends the stream after
    `STREAM_MAX_SECONDS`, or soon after its key is revoked, and EventSource reconnects.
    """

    async def refresh() -> Viewer | None:
        try:
            return viewer_of(await authenticate(request.scope, query_key=True))
        except ProblemError:
            return None

    async for event in stream.events(viewer, start, refresh):
        yield event


@router.get(
    "/{ref}",
    summary="Read a News Feed entry",
    response_model=One[sparse(FeedEntryOut)],
    responses=PROBLEM_RESPONSES,
)
def read_feed_entry(
    ref: str, request: Request, session: SessionDep, fields: FieldsDep, viewer: Reader
) -> JSONResponse:
    """One News Feed entry."""
    fields.check(FIELDS)
    entry, slug = service.get_entry(session, entry_id=ref, viewer=viewer)
    return item_response(
        request, fields.apply(feed_entry_out(entry, slug)), keys=service.entry_keys(entry)
    )


@router.post(
    "",
    status_code=201,
    response_model=One[sparse(FeedEntryOut)],
    name="create_feed_entry",
    summary="Create a feed entry",
    description=creates("a feed entry"),
    responses=WRITE_RESPONSES,
    tags=["editorial"],
)
def create_feed_entry(
    body: FeedEntryCreate, request: Request, session: SessionDep, who: EditorDep
) -> JSONResponse:
    entry = service.create_feed_entry(session, who, data=body)
    return written_response(
        request,
        service.entry_out(session, entry),
        keys=service.FEED_ENTRIES.keys(entry),
        status=201,
        location=object_path("feed", entry.id),
    )


@router.patch(
    "/{ref}",
    response_model=One[sparse(FeedEntryOut)],
    name="update_feed_entry",
    summary="Update a feed entry",
    description=PATCHES,
    responses=WRITE_RESPONSES,
    tags=["editorial"],
)
def update_feed_entry(
    ref: str, body: FeedEntryUpdate, request: Request, session: SessionDep, who: EditorDep
) -> JSONResponse:
    entry = service.update_feed_entry(session, who, ref=ref, data=body)
    return written_response(
        request, service.entry_out(session, entry), keys=service.FEED_ENTRIES.keys(entry)
    )


@router.delete(
    "/{ref}",
    status_code=204,
    name="delete_feed_entry",
    summary="Delete a feed entry",
    description=DELETES,
    responses=WRITE_RESPONSES,
    tags=["editorial"],
)
def delete_feed_entry(ref: str, session: SessionDep, who: EditorDep) -> Response:
    service.delete_feed_entry(session, who, ref=ref)
    return Response(status_code=204)
