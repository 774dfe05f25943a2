"""Tombstones: every delete of synced content leaves one, in the delete's own transaction."""

from typing import Any

from sqlmodel import Session

from app.db import utcnow
from app.models import Article, ArticleStatus, Deletion, FeedEntry


def _was_public(row: Any) -> bool:
    """Whether a reader without preview could ever have seen `row` (else: a draft)."""
    now = utcnow()
    if isinstance(row, Article):
        return (
            row.first_published_at is not None
            and row.first_published_at <= now
            and (row.embargo_until is None or row.embargo_until <= now)
        )
    if isinstance(row, FeedEntry):
        return (
            row.status != ArticleStatus.draft
            and row.published_at is not None
            and row.published_at <= now
        )
    return True


def record_deletion(session: Session, resource_type: str, row: Any) -> None:
    """Add the tombstone of `row` to the session; it commits or rolls back with the delete."""
    session.add(
        Deletion(
            resource_type=resource_type,
            resource_id=row.id,
            deleted_at=utcnow(),
            public=_was_public(row),
        )
    )
