"""The one rule that decides which content a reader may see. Every read path calls it."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, false, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from app.db import utcnow
from app.models import Article, ArticleStatus, ArticleTag, FeedEntry, Photo, Section, Tag

# A scheduled story is visible from its `published_at` on, with no job needing to run.
_LIVE = (ArticleStatus.published.value, ArticleStatus.scheduled.value)


@dataclass(frozen=True)
class Viewer:
    """Who is reading, as far as visibility goes, and when."""

    now: datetime = field(default_factory=utcnow)
    # content:preview, or a preview link: drafts, scheduled and embargoed stories too.
    preview: bool = False
    # A syndication partner: only its sections and tags, no photo without syndication rights.
    partner: bool = False
    sections: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    advance_embargo: bool = False


def visible_articles(viewer: Viewer, model: Any = Article) -> ColumnElement[bool]:
    """SQL condition for the articles `viewer` may see.

    `model` may be an alias of `Article` (related cards join a second copy of the table).
    """
    if viewer.preview:
        return true()
    now = viewer.now
    conditions = [model.status.in_(_LIVE), model.published_at <= now]
    if not (viewer.partner and viewer.advance_embargo):
        conditions.append(or_(model.embargo_until.is_(None), model.embargo_until <= now))
    if viewer.partner:
        conditions.append(_partner_allowlist(viewer, model))
    return and_(*conditions)


def _partner_allowlist(viewer: Viewer, model: Any) -> ColumnElement[bool]:
    """A partner sees a story of one of its sections, or carrying one of its tags."""
    allowed = []
    if viewer.sections:
        allowed.append(
            model.section_id.in_(
                select(Section.id).where(
                    or_(Section.slug.in_(viewer.sections), Section.id.in_(viewer.sections))
                )
            )
        )
    if viewer.tags:
        allowed.append(
            model.id.in_(
                select(ArticleTag.article_id)
                .join(Tag, Tag.id == ArticleTag.tag_id)
                .where(or_(Tag.slug.in_(viewer.tags), Tag.id.in_(viewer.tags)))
            )
        )
    # A partner key always has an allowlist; an empty one would show nothing.
    return or_(*allowed) if allowed else false()


def visible_feed_entries(viewer: Viewer) -> ColumnElement[bool]:
    """SQL condition for News Feed entries `viewer` may see (partners: see `feed.service`)."""
    if viewer.preview:
        return true()
    return and_(FeedEntry.status.in_(_LIVE), FeedEntry.published_at <= viewer.now)


def visible_photos(viewer: Viewer) -> ColumnElement[bool]:
    """SQL condition for photos `viewer` may receive: partners only syndicable ones."""
    return Photo.syndication_allowed.is_(True) if viewer.partner else true()


def public_status(status: str, published_at: datetime | None, now: datetime) -> str:
    """What a reader is told: a scheduled story whose time has come is published."""
    if status == ArticleStatus.scheduled and published_at is not None and published_at <= now:
        return ArticleStatus.published.value
    return status


def visible_from(
    status: str, published_at: datetime | None, embargo_until: datetime | None
) -> datetime | None:
    """The moment readers see a story (past or future), by the rule above; None while it
    is not live (a draft, or unpublished)."""
    if status not in _LIVE or published_at is None:
        return None
    return max(published_at, embargo_until) if embargo_until else published_at
