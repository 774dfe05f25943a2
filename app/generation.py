"""The content generation: one counter that every content write bumps, in its transaction.

Caches key on it, so the next read on any worker after a commit misses and sees the write.
Scheduled stories and embargoes change what readers see without a write; the state row
keeps the earliest such moment, and the first read after it bumps the generation.
"""

import logging
import mmap
import os
import random
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event, func, make_url, select, text, union_all, update
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from app.config import get_settings
from app.db import make_engine, utcnow
from app.models import (
    Article,
    ArticleAuthor,
    ArticleTag,
    Author,
    ContentState,
    Correction,
    FeedEntry,
    Photo,
    RelatedLink,
    Section,
    Site,
    Tag,
)
from app.timeparams import as_utc

# What readers see. A change to any of these, through any session, bumps the generation.
CONTENT_MODELS = (
    Article,
    ArticleAuthor,
    ArticleTag,
    Author,
    Correction,
    FeedEntry,
    Photo,
    RelatedLink,
    Section,
    Site,
    Tag,
)
log = logging.getLogger("byline.generation")

CONTENT_TABLES = frozenset(m.__tablename__ for m in CONTENT_MODELS)


@dataclass(frozen=True)
class State:
    generation: int
    changed_at: datetime
    next_transition_at: datetime | None
    removed_at: datetime | None = None


def _next_transition(now: datetime):
    """The earliest future moment a stored time makes something appear or change.

    Each column's first future time is its own `min()`, which both databases answer from
    the column's index with one probe; a `min()` over the union of the columns read every
    future row instead (20,000 scheduled stories in a million: 7.6 ms in every write)."""
    firsts = (
        select(func.min(Article.published_at)).where(Article.published_at > now),
        select(func.min(Article.embargo_until)).where(Article.embargo_until > now),
        select(func.min(FeedEntry.published_at)).where(FeedEntry.published_at > now),
    )
    times = union_all(*(select(first.scalar_subquery().label("t")) for first in firsts))
    return select(func.min(times.subquery().c.t)).scalar_subquery()


CHANNEL = "byline_content"


_REMOVED = "byline.content_removed"


def note_removal(session: Session | OrmSession) -> None:
    """Something leaves what readers see in this transaction (a deletion, an unpublication,
    a story moved out of a list): answers it was in changed now, whatever their rows say."""
    session.info[_REMOVED] = True
    session.info[_CHANGED] = True


def bump(session: Session | OrmSession) -> None:
    """Mark content changed, in the session's transaction (done on commit automatically)."""
    now = utcnow()
    values: dict[str, Any] = {
        "generation": ContentState.generation + 1,
        "changed_at": now,
        "next_transition_at": _next_transition(now),
    }
    if session.info.pop(_REMOVED, False):
        values["removed_at"] = now
    session.execute(update(ContentState).where(ContentState.id == 1).values(**values))
    if session.get_bind().dialect.name == "postgresql":
        # Delivered to every listening worker when (and only if) the transaction commits.
        session.execute(text(f"NOTIFY {CHANNEL}"))
    session.info[_BUMPED] = True  # see `_committed`


def _utc(value: Any) -> datetime | None:
    """A time as the drivers return it (SQLite: text; PostgreSQL: aware) as aware UTC."""
    return as_utc(datetime.fromisoformat(value) if isinstance(value, str) else value)


class _Stamp:
    """SQLite: a change token in a small file beside the database (`byline.db-generation`,
    as SQLite keeps `-wal` and `-shm` there), mapped into memory by every process on the
    host. A commit that bumps the generation writes a new token once it has committed, so a
    read compares eight bytes instead of running a statement, and reads the row when the
    token moved. PostgreSQL has its listener instead; without a file, every read asks."""

    def __init__(self) -> None:
        self._map: mmap.mmap | None = None
        self._opened = False

    def _open(self) -> mmap.mmap | None:
        self._opened = True
        url = make_url(get_settings().resolved_database_url)
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            return None
        if url.query.get("mode") == "memory":
            return None
        try:
            fd = os.open(f"{url.database}-generation", os.O_RDWR | os.O_CREAT, 0o644)
            try:
                if os.fstat(fd).st_size < 8:
                    os.ftruncate(fd, 8)
                return mmap.mmap(fd, 8)
            finally:
                os.close(fd)
        except OSError:
            log.warning("no generation stamp beside the database; reading the row instead")
            return None

    def token(self) -> bytes | None:
        if not self._opened:
            self._map = self._open()
        return None if self._map is None else self._map[:8]

    def touch(self) -> None:
        """Tell every process here that the generation moved (after the commit)."""
        if not self._opened:
            self._map = self._open()
        if self._map is not None:
            self._map[:8] = random.getrandbits(64).to_bytes(8, "little")


_stamp = _Stamp()


class _StateReader:
    """Reads the state row on a DBAPI connection of its own, one short transaction a read.

    The event loop calls it on every cacheable request, so it is lean: on SQLite the row is
    read only when the stamp beside the database moved (or a second has passed, for a bump
    made without Byline's sessions); otherwise one prepared statement on a raw connection,
    and the parsed state reused while the row is unchanged. It must never wait for the
    request pool, whose connections are only given back by work that needs the loop (a
    deadlock under load).
    """

    _SQL = (
        "SELECT generation, changed_at, next_transition_at, removed_at"
        " FROM content_state WHERE id = 1"
    )
    # Trust an unmoved stamp this long before reading the row anyway.
    TRUST_SECONDS = 1.0

    def __init__(self) -> None:
        self._engine: Any = None
        self._raw: Any = None
        self._last: tuple[Any, ...] | None = None
        self._state: State | None = None
        self._token: bytes | None = None
        self._read_at = 0.0

    def read(self) -> State:
        token = _stamp.token()  # before the row: a bump after this moves it again
        state = self._state
        if (
            token is None
            or state is None
            or token != self._token
            or time.monotonic() - self._read_at > self.TRUST_SECONDS
        ):
            state = self._read_row()
            self._token = token
        if state.next_transition_at is not None and state.next_transition_at <= utcnow():
            self._advance(state)
            self._token = None
            return self.read()
        return state

    def _read_row(self) -> State:
        if self._raw is None:
            if self._engine is None:
                self._engine = make_engine(get_settings().resolved_database_url, pool_size=1)
            self._raw = self._engine.raw_connection()
            # Each read its own transaction, in one round trip, seeing the latest commit.
            driver = self._raw.driver_connection
            if self._engine.dialect.name == "sqlite":
                driver.isolation_level = None
            else:
                driver.autocommit = True
            self._last = None
        try:
            cursor = self._raw.cursor()
            cursor.execute(self._SQL)
            row = tuple(cursor.fetchone())
            cursor.close()
        except Exception:
            self._raw.invalidate()
            self._raw = None
            raise
        self._read_at = time.monotonic()
        if row != self._last or self._state is None:
            self._last = row
            self._state = self._parse(row)
        return self._state

    @staticmethod
    def _parse(row: tuple[Any, ...]) -> State:
        return State(int(row[0]), _utc(row[1]), _utc(row[2]), _utc(row[3]))  # type: ignore[arg-type]

    def _advance(self, state: State) -> None:
        """Bump past a scheduled moment; only one reader wins for a given generation."""
        with self._engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text(f"NOTIFY {CHANNEL}"))
            conn.execute(
                update(ContentState)
                .where(ContentState.id == 1, ContentState.generation == state.generation)
                .values(
                    generation=ContentState.generation + 1,
                    changed_at=state.next_transition_at,
                    next_transition_at=_next_transition(utcnow()),
                )
            )
        _listener.invalidate()  # committed: this worker reads the table until told
        _stamp.touch()


_reader = _StateReader()


class _Listener:
    """PostgreSQL: each worker learns of new generations by LISTEN/NOTIFY on a thread of
    its own, so a read costs no round trip. Until it is connected, after any trouble, and
    right after this process itself commits a change, reads go to the table instead."""

    def __init__(self) -> None:
        self._state: State | None = None
        self._started = False
        self._lock = threading.Lock()

    def state(self) -> State | None:
        if not self._started:
            self._start()
        return self._state

    def invalidate(self) -> None:
        self._state = None

    def _start(self) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
            url = get_settings().resolved_database_url
            if not url.startswith("postgresql"):
                return
            conninfo = make_url(url).set(drivername="postgresql")
            thread = threading.Thread(
                target=self._listen,
                args=(conninfo.render_as_string(hide_password=False),),
                name="byline-content-listener",
                daemon=True,
            )
            thread.start()

    def _listen(self, conninfo: str) -> None:
        import psycopg

        while True:
            try:
                with psycopg.connect(conninfo, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._state = self._read(conn)  # after LISTEN: nothing slips between
                    while True:
                        # Wait for one notification (the connection is busy meanwhile),
                        # then read the row: a burst of commits needs one read.
                        list(conn.notifies(timeout=30, stop_after=1))
                        self._state = self._read(conn)
            except Exception:
                log.warning("content listener lost its connection; retrying", exc_info=True)
            self._state = None
            time.sleep(1)

    @staticmethod
    def _read(conn: Any) -> State:
        return _StateReader._parse(tuple(conn.execute(_StateReader._SQL).fetchone()))


_listener = _Listener()


def current_state() -> State:
    """The generation now; advances it first when a scheduled moment has passed."""
    state = _listener.state()
    if state is not None and (
        state.next_transition_at is None or state.next_transition_at > utcnow()
    ):
        return state
    return _reader.read()


# Every session that writes content bumps the generation in the same transaction, so no
# write path (service, command, migration of data) can forget to.
_CHANGED = "byline.content_changed"
_BUMPED = "byline.generation_bumped"


def _pending_content(session: OrmSession) -> bool:
    return any(
        isinstance(obj, CONTENT_MODELS) for obj in (*session.new, *session.dirty, *session.deleted)
    )


@event.listens_for(OrmSession, "after_flush")
def _flushed(session: OrmSession, _context: Any) -> None:
    # Flushed before the commit (autoflush, explicit flush): remember it.
    if _pending_content(session):
        session.info[_CHANGED] = True


@event.listens_for(OrmSession, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if table is not None and table.name in CONTENT_TABLES:
            state.session.info[_CHANGED] = True


@event.listens_for(OrmSession, "before_commit")
def _bump_on_commit(session: OrmSession) -> None:
    # Runs before the commit's own flush: count what that flush is about to write too.
    if session.info.pop(_CHANGED, False) or _pending_content(session):
        bump(session)  # type: ignore[arg-type]
        session.info.pop(_CHANGED, None)


@event.listens_for(OrmSession, "after_commit")
def _committed(session: OrmSession) -> None:
    # This worker's next read must see its own write, before any notification arrives.
    if session.info.pop(_BUMPED, False):
        _listener.invalidate()
        _stamp.touch()  # every process on this host: read the row again
