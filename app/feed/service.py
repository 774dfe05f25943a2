"""News Feed queries."""

from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from app.errors import NotFound
from app.models import Article, FeedEntry, FeedKind
from app.pagination import Ordering, Page, PageParams, SortKey, paginate
from app.visibility import visible_articles, visible_feed_entries

ORDERING = Ordering("newest", (SortKey(FeedEntry.published_at), SortKey(FeedEntry.id)))


def _with_article_slug(now: datetime) -> Select[tuple[FeedEntry, str | None]]:
    # The linked article shows only while a reader may see it.
    linked = aliased(Article)
    return (
        select(FeedEntry, linked.slug)
        .outerjoin(linked, (linked.id == FeedEntry.article_id) & visible_articles(now, linked))
        .where(visible_feed_entries(now))
    )


def list_entries(
    session: Session,
    *,
    since: datetime | None,
    kind: FeedKind | None,
    page: PageParams,
    now: datetime,
) -> Page:
    """Visible entries newest first, each as `(entry, article slug)`; `since` is exclusive."""
    stmt = _with_article_slug(now)
    if since is not None:
        stmt = stmt.where(FeedEntry.published_at > since)
    if kind is not None:
        stmt = stmt.where(FeedEntry.kind == kind)
    return paginate(session, stmt, ORDERING, page, rows=True)


def get_entry(session: Session, *, entry_id: str, now: datetime) -> tuple[FeedEntry, str | None]:
    """One visible entry with its article's slug."""
    row = session.execute(_with_article_slug(now).where(FeedEntry.id == entry_id)).first()
    if row is None:
        raise NotFound(f"No feed entry {entry_id!r}.")
    return row[0], row[1]
