"""The outbox: every event is a row written in the transaction of the change that causes
it, so it commits or rolls back with that change and no crash can lose it. The worker
(`app.webhooks.worker`) fans each due event out to the webhooks subscribed to it."""

from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import delete
from sqlmodel import Session

from app.db import utcnow
from app.ids import new_id
from app.models import Event
from app.responses import dumps

# Every event type a webhook can subscribe to ("*" takes them all).
EVENT_TYPES = (
    "article.created",
    "article.updated",
    "article.scheduled",
    "article.published",
    "article.unpublished",
    "article.deleted",
    "feed_entry.created",
    "feed_entry.updated",
    "feed_entry.deleted",
    "author.created",
    "author.updated",
    "author.deleted",
    "photo.created",
    "photo.updated",
    "photo.deleted",
    "section.created",
    "section.updated",
    "section.deleted",
    "tag.created",
    "tag.updated",
    "tag.deleted",
    "site.updated",
)


def jsonable(value: Any) -> Any:
    """`value` as plain JSON types, times written as the API writes them (UTC, `Z`)."""
    return orjson.loads(dumps(value))


def emit(
    session: Session,
    type_: str,
    *,
    subject_type: str,
    subject_id: str,
    data: dict[str, Any],
    at: datetime | None = None,
) -> Event:
    """Add an event to the session's transaction; `at` in the future defers it until then."""
    assert type_ in EVENT_TYPES, type_
    event = Event(
        id=new_id("evt"),
        type=type_,
        subject_type=subject_type,
        subject_id=subject_id,
        data=jsonable(data),
        occurred_at=at or utcnow(),
    )
    session.add(event)
    return event


def cancel_deferred(session: Session, *, type_: str, subject_type: str, subject_id: str) -> None:
    """Drop the not yet due events of this type about this object (a schedule changed)."""
    session.execute(
        delete(Event).where(
            Event.type == type_,
            Event.subject_type == subject_type,
            Event.subject_id == subject_id,
            Event.dispatched_at.is_(None),
            Event.occurred_at > utcnow(),
        ),
        execution_options={"synchronize_session": False},
    )


def emit_change(
    session: Session,
    type_: str,
    *,
    resource: str,
    representation: dict[str, Any],
    fields: list[str],
    keys: Any,
    subject_id: str | None = None,
) -> Event:
    """The event of a write: `{<resource>: the object, "fields": what the write touched,
    "surrogate_keys": what a CDN should purge}`. Every event about an object has this shape;
    `subject_id` is needed only for an object without an `id` of its own (the site)."""
    return emit(
        session,
        type_,
        subject_type=resource,
        subject_id=subject_id or representation["id"],
        data={resource: representation, "fields": sorted(fields), "surrogate_keys": sorted(keys)},
    )
