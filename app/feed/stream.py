"""`GET /v1/feed/stream`: the News Feed as Server-Sent Events, read from the database, so
that it works across any number of workers and hosts.

Each connection waits for the content generation to move (on PostgreSQL every worker
hears of commits by LISTEN/NOTIFY; on SQLite it is a one-row read), then reads the
entries that changed. Its position (`id:` of each event, sent back by EventSource as
`Last-Event-ID`) is the latest change time it sent; each read looks back a few seconds
behind it, skipping what it already sent, so a save that commits a moment after a later
one is not missed.
"""

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio.to_thread
from fastapi.sse import ServerSentEvent
from sqlmodel import Session

from app.config import get_settings
from app.db import get_engine, utcnow
from app.errors import InvalidParameter
from app.feed import service
from app.feed.schemas import feed_entry_out
from app.generation import current_state
from app.responses import dumps
from app.visibility import Viewer

LOOK_BACK = timedelta(seconds=5)
RETRY_MS = 3000


@dataclass(frozen=True)
class Position:
    """A point in the stream: a change time, and the entry id that breaks ties."""

    at: datetime
    id: str = ""

    def encode(self) -> str:
        micros = int(self.at.timestamp() * 1_000_000)
        return f"{micros}-{self.id}" if self.id else str(micros)

    @classmethod
    def decode(cls, value: str, field: str) -> "Position":
        head, _, entry_id = value.partition("-")
        if not head.isdigit() or len(head) > 20 or len(entry_id) > 40:
            raise InvalidParameter(field, "not a position this stream sent")
        at = datetime.fromtimestamp(int(head) / 1_000_000, tz=UTC)
        return cls(at, entry_id)


def start_position(last_event_id: str | None, since: datetime | None) -> Position:
    """Where a connection starts: after `Last-Event-ID` (a reconnection), after `since`,
    or now."""
    if last_event_id:
        return Position.decode(last_event_id.strip(), "Last-Event-ID")
    return Position(since or utcnow())


def _read(viewer: Viewer, after: datetime) -> tuple[list[Any], list[Any]]:
    viewer = replace(viewer, now=utcnow())
    with Session(get_engine()) as session:
        return (
            service.changed_entries(session, after=after, viewer=viewer),
            service.deleted_entries(session, after=after, viewer=viewer),
        )


def _after(start: Position, position: Position) -> datetime:
    """The time a read starts from: a little behind the position, never before the start."""
    return max(start.at - timedelta(microseconds=1), position.at - LOOK_BACK)


async def events(viewer: Viewer, start: Position) -> AsyncIterator[ServerSentEvent]:
    """The stream of one connection, until it closes or has run `STREAM_MAX_SECONDS`.

    Every event and heartbeat carries the position, so a reconnection resumes exactly
    after what this connection sent.
    """
    settings = get_settings()
    yield ServerSentEvent(comment="byline feed stream", id=start.encode(), retry=RETRY_MS)
    position = start
    sent: dict[str, tuple[int, datetime]] = {}  # entry id -> (version sent, change time)
    generation: int | None = None
    deadline = time.monotonic() + settings.stream_max_seconds
    beat = time.monotonic() + settings.stream_heartbeat_seconds
    while time.monotonic() < deadline:
        state = current_state()
        if state.generation != generation:
            generation = state.generation
            changed, deleted = await anyio.to_thread.run_sync(
                _read, viewer, _after(start, position)
            )
            news = [
                (Position(service.change_time(entry), entry.id), entry.version, kind, body)
                for entry, slug in changed
                for kind, body in [(_kind(entry.version), feed_entry_out(entry, slug))]
            ] + [
                (
                    Position(t.deleted_at, t.resource_id),
                    0,
                    "feed_entry.deleted",
                    {"id": t.resource_id},
                )
                for t in deleted
            ]
            for key, version, kind, body in sorted(news, key=lambda n: (n[0].at, n[0].id)):
                if (key.at, key.id) <= (start.at, start.id) or sent.get(key.id, (-1,))[
                    0
                ] == version:
                    continue
                sent[key.id] = (version, key.at)
                position = max(position, key, key=lambda p: (p.at, p.id))
                yield ServerSentEvent(
                    event=kind, id=position.encode(), raw_data=dumps(body).decode()
                )
            horizon = position.at - LOOK_BACK
            sent = {k: v for k, v in sent.items() if v[1] >= horizon}
        if time.monotonic() >= beat:
            yield ServerSentEvent(comment="heartbeat", id=position.encode())
            beat = time.monotonic() + settings.stream_heartbeat_seconds
        await asyncio.sleep(settings.stream_poll_seconds)


def _kind(version: int) -> str:
    return "feed_entry.created" if version == 1 else "feed_entry.updated"
