"""The content generation: one counter that every content write bumps, in its transaction.

Caches key on it, so the next read on any worker after a commit misses and sees the write.
Scheduled stories and embargoes change what readers see without a write; the state row
keeps the earliest such moment, and the first read after it bumps the generation.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, event, func, select, union_all, update
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from app.db import get_engine, utcnow
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
CONTENT_TABLES = frozenset(m.__tablename__ for m in CONTENT_MODELS)


@dataclass(frozen=True)
class State:
    generation: int
    changed_at: datetime
    next_transition_at: datetime | None


def _next_transition(now: datetime):
    """The earliest future moment a stored time makes something appear or change."""
    times = union_all(
        select(Article.published_at.label("t")).where(Article.published_at > now),
        select(Article.embargo_until.label("t")).where(Article.embargo_until > now),
        select(FeedEntry.published_at.label("t")).where(FeedEntry.published_at > now),
    ).subquery()
    return select(func.min(times.c.t)).scalar_subquery()


def bump(session: Session | OrmSession) -> None:
    """Mark content changed, in the session's transaction (done on commit automatically)."""
    now = utcnow()
    session.execute(
        update(ContentState)
        .where(ContentState.id == 1)
        .values(
            generation=ContentState.generation + 1,
            changed_at=now,
            next_transition_at=_next_transition(now),
        )
    )


_READ = select(
    ContentState.generation, ContentState.changed_at, ContentState.next_transition_at
).where(ContentState.id == 1)


def _read(conn: Connection) -> State:
    row = conn.execute(_READ).one()
    return State(row.generation, row.changed_at, row.next_transition_at)


def current_state() -> State:
    """The generation now; advances it first when a scheduled moment has passed."""
    engine = get_engine()
    with engine.connect() as conn:
        state = _read(conn)
        now = utcnow()
        if state.next_transition_at is None or state.next_transition_at > now:
            return state
        # Only one worker advances a given generation: the update is conditional on it.
        conn.execute(
            update(ContentState)
            .where(ContentState.id == 1, ContentState.generation == state.generation)
            .values(
                generation=ContentState.generation + 1,
                changed_at=state.next_transition_at,
                next_transition_at=_next_transition(now),
            )
        )
        conn.commit()
        return _read(conn)


# Every session that writes content bumps the generation in the same transaction, so no
# write path (service, command, migration of data) can forget to.
_CHANGED = "byline.content_changed"


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
