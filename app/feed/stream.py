"""`GET /v1/feed/stream`: the News Feed as Server-Sent Events, for live pages.

The stream is the sync log (`app.sync.service`) of News Feed entries, read as it grows:
an `upsert` when an entry appears or changes for the caller (published, at its time if
scheduled, edited, or its story's visibility changed), a `delete` when it goes (deleted,
unpublished, or its story hidden from a partner). Read from the database, it works across
any number of workers and hosts.

Each connection waits for the content generation to move (on PostgreSQL every worker
hears of commits by LISTEN/NOTIFY; on SQLite it is a one-row read), then reads the log
after its position. The log's end is read again a few seconds back (a save stamped
earlier may commit later); what this connection already sent is not sent again.
"""

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import anyio.to_thread
from fastapi.sse import ServerSentEvent
from sqlmodel import Session

from app.config import get_settings
from app.db import get_engine, utcnow
from app.errors import InvalidParameter, ProblemError
from app.generation import current_state
from app.responses import dumps
from app.sync import service as sync
from app.visibility import Viewer

Position = tuple[datetime, str, str]
TYPES = ("feed_entry",)
# Streams read on threads and connections of their own, a few at a time per process:
# however many are open, they never take the request handlers' threads or pool.
_READERS = anyio.CapacityLimiter(4)
PAGE = 100
RETRY_MS = 3000


def start_position(last_event_id: str | None, since: datetime | None) -> Position:
    """Where a connection starts: after `Last-Event-ID` (a reconnection), strictly after
    `since`, or now."""
    if last_event_id:
        try:
            position = sync.decode(last_event_id.strip())
        except ProblemError:
            position = None
        if position is None or position[1] not in ("", "~", *TYPES):
            raise InvalidParameter("Last-Event-ID", "not a position this stream sent")
        return position
    # "~" sorts after every type: nothing at exactly `since` itself.
    return (since or utcnow(), "~", "")


def _read(viewer: Viewer, position: Position) -> sync.SyncPage:
    viewer = replace(viewer, now=utcnow())
    with Session(get_engine()) as session:
        return sync.sync_page(session, viewer, position, PAGE, TYPES)


class _SharedReads:
    """Streams of one process that would read the same page (the same audience, at the same
    position, in the same generation) share one read: a write costs a read per audience and
    position, not one per open connection."""

    def __init__(self) -> None:
        self._generation: int | None = None
        self._reads: dict[tuple[Any, ...], asyncio.Future[sync.SyncPage]] = {}

    async def page(self, viewer: Viewer, position: Position, generation: int) -> sync.SyncPage:
        if generation != self._generation:
            self._generation, self._reads = generation, {}
        key = (replace(viewer, now=_EPOCH), position)
        read = self._reads.get(key)
        if read is None:
            read = asyncio.ensure_future(
                anyio.to_thread.run_sync(_read, viewer, position, limiter=_READERS)
            )
            self._reads[key] = read
            read.add_done_callback(lambda done: self._forget_failed(key, done))
        return await asyncio.shield(read)

    def _forget_failed(self, key: tuple[Any, ...], read: asyncio.Future[sync.SyncPage]) -> None:
        if read.cancelled() or read.exception() is not None:
            self._reads.pop(key, None)  # the next stream to ask reads again


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_shared = _SharedReads()


def _settled(page: sync.SyncPage, position: Position) -> Position:
    """Where to read next: the page's position, its settling margin taken back to a whole
    second, so that the streams of a process that are caught up stand at the same place."""
    settled = page.next_key or position
    if page.has_more:
        return settled
    at = settled[0].replace(microsecond=0)
    return max(position, (at, "", "") if at < settled[0] else settled)


async def events(
    viewer: Viewer, start: Position, refresh: Callable[[], Awaitable[Viewer | None]]
) -> AsyncIterator[ServerSentEvent]:
    """The stream of one connection, until it closes, has run `STREAM_MAX_SECONDS`, or its
    key stops being valid (`refresh` answers None; it is asked every KEY_CACHE_SECONDS).

    Every event's `id:` is a position from which a reconnection loses nothing: the event's
    own, or the settled end of the log when that is earlier (what comes again after a
    reconnection is the last few seconds, as upserts and deletes to apply by id).
    """
    settings = get_settings()
    yield ServerSentEvent(comment="byline feed stream", id=sync.encode(start), retry=RETRY_MS)
    position = start
    sent: dict[str, datetime] = {}  # entry id -> the change time sent for it
    generation: int | None = None
    more = False
    clock = time.monotonic()
    deadline = clock + settings.stream_max_seconds
    beat = clock + settings.stream_heartbeat_seconds
    check = clock + max(settings.key_cache_seconds, 1.0)
    while time.monotonic() < deadline:
        if time.monotonic() >= check:
            check = time.monotonic() + max(settings.key_cache_seconds, 1.0)
            renewed = await refresh()
            if renewed is None:
                return  # revoked or expired: the stream ends, and a reconnection gets 401
            viewer = renewed
        state = current_state()
        if more or state.generation != generation:
            generation = state.generation
            page = await _shared.page(viewer, position, generation)
            settled = _settled(page, position)
            for item in page.items:
                entry_id, at = item["id"], item["at"]
                if sent.get(entry_id) == at:
                    continue  # read again inside the settling margin
                sent[entry_id] = at
                key = (at, "feed_entry", entry_id)
                upsert = item["action"] == "upsert"
                yield ServerSentEvent(
                    event="upsert" if upsert else "delete",
                    id=sync.encode(min(key, settled) if not page.has_more else key),
                    raw_data=dumps(item["data"] if upsert else {"id": entry_id}).decode(),
                )
            position, more = settled, page.has_more
            sent = {k: at for k, at in sent.items() if at >= position[0]}
        if time.monotonic() >= beat:
            yield ServerSentEvent(comment="heartbeat", id=sync.encode(position))
            beat = time.monotonic() + settings.stream_heartbeat_seconds
        if not more:
            await asyncio.sleep(settings.stream_poll_seconds)
