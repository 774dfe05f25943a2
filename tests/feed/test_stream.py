"""`GET /v1/feed/stream` against a real server with two workers: entries written by any
process arrive, changes and removals too, `Last-Event-ID` resumes, heartbeats keep the
connection, a revoked key is cut off, and nobody sees what the feed would not show them."""

import json
import threading
import time
from datetime import timedelta

import httpx
import pytest

from app.db import utcnow
from app.models import ArticleStatus, FeedEntry
from tests.factories import make_article, make_feed_entry, make_key, make_section
from tests.servers import running_server

STREAM_ENV = {
    "STREAM_POLL_SECONDS": "0.1",
    "STREAM_HEARTBEAT_SECONDS": "0.3",
    "STREAM_MAX_SECONDS": "60",
    "KEY_CACHE_SECONDS": "0.5",
}


class Listener:
    """Reads a stream on a thread of its own, parsing events as EventSource does."""

    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        self.events: list[dict[str, str]] = []
        self.comments: list[str] = []
        self.status: int | None = None
        self._stop = threading.Event()
        self._open = threading.Event()
        self._thread = threading.Thread(target=self._read, args=(url, headers or {}), daemon=True)
        self._thread.start()
        assert self._open.wait(10), "stream did not open"

    def _read(self, url: str, headers: dict[str, str]) -> None:
        self.ended = False
        with httpx.stream("GET", url, headers=headers, timeout=10) as response:
            self.status = response.status_code
            self.content_type = response.headers.get("content-type", "")
            self.cache_control = response.headers.get("cache-control", "")
            self._open.set()
            fields: dict[str, str] = {}
            for line in response.iter_lines():
                if self._stop.is_set():
                    return
                if not line:
                    if "data" in fields:
                        self.events.append(fields)
                    fields = {}
                elif line.startswith(":"):
                    self.comments.append(line[1:].strip())
                else:
                    name, _, value = line.partition(":")
                    fields[name] = value.removeprefix(" ")
        self.ended = True

    def wait_for(self, condition, timeout: float = 60) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition(self):
                return True
            time.sleep(0.05)
        return False

    def ids(self, kind: str | None = None) -> list[str]:
        return [
            json.loads(e["data"])["id"] for e in self.events if kind is None or e["event"] == kind
        ]

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


@pytest.fixture(scope="module")
def server(engine):
    with running_server(workers=2, **STREAM_ENV) as base:
        yield base


def now_entry(session, **kw) -> FeedEntry:
    at = utcnow()
    return make_feed_entry(session, published_at=at, created_at=at, updated_at=at, **kw)


def test_entries_from_any_process_arrive_with_heartbeats(session, server):
    listener = Listener(f"{server}/v1/feed/stream")
    try:
        assert listener.status == 200
        assert listener.content_type.startswith("text/event-stream")
        assert listener.cache_control == "private, no-store"
        # Written by this test process, not by any server worker: nothing in memory to share.
        entry = now_entry(session, title="Sirens over Kyiv")
        assert listener.wait_for(lambda s: entry.id in s.ids())
        [event] = listener.events
        assert event["event"] == "upsert" and event["id"]
        assert json.loads(event["data"])["title"] == "Sirens over Kyiv"
        assert listener.wait_for(lambda s: "heartbeat" in s.comments)
    finally:
        listener.close()


def test_changes_and_removals_follow(session, server):
    writer = {"Authorization": f"Bearer {make_key(session, 'content:write')}"}
    listener = Listener(f"{server}/v1/feed/stream")
    try:
        created = httpx.post(f"{server}/v1/feed", json={"title": "First"}, headers=writer)
        entry_id = created.json()["data"]["id"]
        assert listener.wait_for(lambda s: s.ids("upsert").count(entry_id) == 1)
        changed = httpx.patch(
            f"{server}/v1/feed/{entry_id}",
            json={"title": "Second"},
            headers={**writer, "If-Match": created.headers["etag"]},
        )
        assert listener.wait_for(lambda s: s.ids("upsert").count(entry_id) == 2)
        assert json.loads(listener.events[-1]["data"])["title"] == "Second"
        # Taken off the feed without being deleted: readers must drop it too.
        hidden = httpx.patch(
            f"{server}/v1/feed/{entry_id}",
            json={"status": "unpublished"},
            headers={**writer, "If-Match": changed.headers["etag"]},
        )
        assert hidden.status_code == 200, hidden.text
        assert listener.wait_for(lambda s: entry_id in s.ids("delete"))
        time.sleep(0.5)
        assert [e["event"] for e in listener.events] == ["upsert", "upsert", "delete"]
    finally:
        listener.close()


def test_a_deleted_entry_goes(session, server):
    writer = {"Authorization": f"Bearer {make_key(session, 'content:write')}"}
    listener = Listener(f"{server}/v1/feed/stream")
    try:
        created = httpx.post(f"{server}/v1/feed", json={"title": "Soon gone"}, headers=writer)
        entry_id = created.json()["data"]["id"]
        assert listener.wait_for(lambda s: entry_id in s.ids("upsert"))
        deleted = httpx.delete(
            f"{server}/v1/feed/{entry_id}", headers={**writer, "If-Match": created.headers["etag"]}
        )
        assert deleted.status_code == 204
        assert listener.wait_for(lambda s: entry_id in s.ids("delete"))
    finally:
        listener.close()


def test_last_event_id_resumes_without_losing_anything(session, server):
    first = Listener(f"{server}/v1/feed/stream")
    try:
        seen = now_entry(session)
        assert first.wait_for(lambda s: seen.id in s.ids())
        resume_from = first.events[-1]["id"]
    finally:
        first.close()
    missed = now_entry(session)  # while no one listened
    second = Listener(f"{server}/v1/feed/stream", {"Last-Event-ID": resume_from})
    try:
        assert second.wait_for(lambda s: missed.id in s.ids())
        time.sleep(0.5)
        # Only what changed in the last few seconds before the position may come again.
        assert set(second.ids()) <= {seen.id, missed.id}
        assert second.ids().count(missed.id) == 1
    finally:
        second.close()


def test_since_catches_up_on_a_backlog_longer_than_a_page(session, server):
    since = utcnow()
    time.sleep(0.01)
    entries = [now_entry(session) for _ in range(130)]
    listener = Listener(f"{server}/v1/feed/stream?since={since.isoformat().replace('+00:00', 'Z')}")
    try:
        assert listener.wait_for(lambda s: len(set(s.ids())) == 130)
        assert set(listener.ids()) == {e.id for e in entries}
    finally:
        listener.close()


def test_drafts_never_stream_and_scheduled_entries_arrive_at_their_time(session, server):
    listener = Listener(f"{server}/v1/feed/stream")
    try:
        now_entry(session, status=ArticleStatus.draft, title="Not yet")
        at = utcnow() + timedelta(seconds=1.5)
        later = make_feed_entry(session, published_at=at, updated_at=utcnow())
        time.sleep(0.8)
        assert listener.events == []
        assert listener.wait_for(lambda s: later.id in s.ids())
        assert time.time() >= at.timestamp()
        assert listener.ids() == [later.id]
    finally:
        listener.close()


def test_a_partner_streams_only_entries_about_its_stories(session, server):
    mine = make_section(session, slug="business")
    other = make_section(session, slug="sport")
    partner = make_key(session, "partner", sections=["business"])
    ours = make_article(session, section_id=mine.id)
    theirs = make_article(session, section_id=other.id)
    # EventSource cannot send headers: the stream takes ?api_key= as feed URLs do.
    listener = Listener(f"{server}/v1/feed/stream?api_key={partner}")
    try:
        hidden = now_entry(session, article_id=theirs.id)
        shown = now_entry(session, article_id=ours.id)
        assert listener.wait_for(lambda s: shown.id in s.ids("upsert"))
        # At most the bare id goes by, as a removal, as in /v1/sync: never the entry.
        assert hidden.id not in listener.ids("upsert")
    finally:
        listener.close()


def test_a_partner_with_advance_access_is_told_when_an_embargoed_story_goes(session, server):
    mine = make_section(session, slug="markets")
    editor = {"Authorization": f"Bearer {make_key(session, 'content:write')}"}
    partner = make_key(session, "partner", sections=["markets"], advance_embargo=True)
    held = make_article(session, section_id=mine.id, embargo_until=utcnow() + timedelta(days=1))
    listener = Listener(f"{server}/v1/feed/stream?api_key={partner}")
    try:
        about = now_entry(session, article_id=held.id)
        gone_next = now_entry(session, article_id=held.id)
        assert listener.wait_for(lambda s: {about.id, gone_next.id} <= set(s.ids("upsert")))
        deleted = httpx.delete(
            f"{server}/v1/feed/{gone_next.id}", headers={**editor, "If-Match": '"1"'}
        )
        assert deleted.status_code == 204
        assert listener.wait_for(lambda s: gone_next.id in s.ids("delete"))
        # The story deleted during its embargo: the entry about it leaves the partner's feed.
        deleted = httpx.delete(
            f"{server}/v1/articles/{held.id}", headers={**editor, "If-Match": '"1"'}
        )
        assert deleted.status_code == 204
        assert listener.wait_for(lambda s: about.id in s.ids("delete"))
    finally:
        listener.close()


def test_a_revoked_key_is_cut_off(session, server):
    from app.keys.service import create_key
    from app.models import Scope

    new = create_key(session, name="reader", scopes=[Scope.content_read])
    listener = Listener(f"{server}/v1/feed/stream", {"Authorization": f"Bearer {new.secret}"})
    try:
        assert listener.wait_for(lambda s: "heartbeat" in s.comments)
        revoked = httpx.delete(
            f"{server}/v1/keys/{new.key.id}",
            headers={"Authorization": f"Bearer {make_key(session, 'admin')}"},
        )
        assert revoked.status_code == 204
        assert listener.wait_for(lambda s: s.ended)
    finally:
        listener.close()


@pytest.mark.anyio
async def test_a_bad_last_event_id_is_a_problem(client):
    response = await client.get("/v1/feed/stream", headers={"Last-Event-ID": "yesterday"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "Last-Event-ID"
    unknown = await client.get("/v1/feed/stream?cursor=x")
    assert unknown.status_code == 400


@pytest.mark.anyio
async def test_streams_of_one_process_at_one_place_share_their_reads(
    session, monkeypatch, settings_env
):
    import asyncio

    from app.feed import stream
    from app.visibility import Viewer

    settings_env(STREAM_POLL_SECONDS="0.02", STREAM_MAX_SECONDS="30")
    reads: list[tuple] = []
    real = stream._read

    def counted(viewer, position):
        reads.append(position)
        return real(viewer, position)

    monkeypatch.setattr(stream, "_read", counted)

    async def allowed():
        return Viewer()

    since = stream.start_position(None, utcnow() - timedelta(minutes=1))
    streams = [stream.events(Viewer(), since, allowed) for _ in range(8)]
    for each in streams:
        await anext(each)  # the opening comment

    async def first_entry(each):
        async for event in each:
            if event.event == "upsert":
                return json.loads(event.raw_data)["id"]

    entry = now_entry(session)
    got = await asyncio.wait_for(asyncio.gather(*(first_entry(s) for s in streams)), 10)
    for each in streams:
        await each.aclose()
    assert got == [entry.id] * 8
    # Eight connections at one position read the page once (twice if a write came between).
    assert len(reads) <= 2
