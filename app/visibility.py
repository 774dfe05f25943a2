"""The one rule that decides which content a reader may see. Every read path calls it."""

from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_
from sqlalchemy.sql.elements import ColumnElement

from app.db import utcnow
from app.models import Article, ArticleStatus, FeedEntry

# A scheduled story is visible from its `published_at` on, with no job needing to run.
_LIVE = (ArticleStatus.published.value, ArticleStatus.scheduled.value)


def visible_articles(now: datetime | None = None, model: Any = Article) -> ColumnElement[bool]:
    """SQL condition for articles a public reader may see at `now`.

    `model` may be an alias of `Article` (related cards join a second copy of the table).
    """
    now = now or utcnow()
    return and_(
        model.status.in_(_LIVE),
        model.published_at <= now,
        or_(model.embargo_until.is_(None), model.embargo_until <= now),
    )


def visible_feed_entries(now: datetime | None = None) -> ColumnElement[bool]:
    """SQL condition for News Feed entries a public reader may see at `now`."""
    now = now or utcnow()
    return and_(FeedEntry.status.in_(_LIVE), FeedEntry.published_at <= now)


def public_status(status: str, published_at: datetime | None, now: datetime) -> str:
    """What a reader is told: a scheduled story whose time has come is published."""
    if status == ArticleStatus.scheduled and published_at is not None and published_at <= now:
        return ArticleStatus.published.value
    return status
