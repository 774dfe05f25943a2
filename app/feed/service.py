"""News Feed queries."""

from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlmodel import Session

from app.errors import NotFound
from app.models import Article, FeedEntry, FeedKind
from app.pagination import Ordering, Page, PageParams, SortKey, paginate
from app.visibility import Viewer, linked_story_slug, visible_feed_entries, with_linked_story

ORDERING = Ordering("newest", (SortKey(FeedEntry.published_at), SortKey(FeedEntry.id)))


def _with_article_slug(viewer: Viewer) -> Select[tuple[FeedEntry, str | None]]:
    # The linked article's slug shows only while the viewer may see the article.
    stmt = with_linked_story(select(FeedEntry, linked_story_slug(viewer)))
    return stmt.where(visible_feed_entries(viewer), FeedEntry.published_at.is_not(None))


def list_entries(
    session: Session,
    *,
    since: datetime | None,
    kind: FeedKind | None,
    page: PageParams,
    viewer: Viewer,
) -> Page:
    """Visible entries newest first, each as `(entry, article slug)`; `since` is exclusive."""
    stmt = _with_article_slug(viewer)
    if since is not None:
        stmt = stmt.where(FeedEntry.published_at > since)
    if kind is not None:
        stmt = stmt.where(FeedEntry.kind == kind)
    return paginate(session, stmt, ORDERING, page, rows=True)


def get_entry(session: Session, *, entry_id: str, viewer: Viewer) -> tuple[FeedEntry, str | None]:
    """One visible entry with its article's slug."""
    row = session.execute(_with_article_slug(viewer).where(FeedEntry.id == entry_id)).first()
    if row is None:
        raise NotFound(f"No feed entry {entry_id!r}.")
    return row[0], row[1]


def prepare_entry(
    session: Session, values: dict[str, Any], entry: FeedEntry | None
) -> dict[str, Any]:
    """Column values of a written entry: the article reference resolved, times defaulted."""
    from app.db import utcnow
    from app.errors import ValidationFailed
    from app.lookup import by_ref

    out = {k: v for k, v in values.items() if k != "article"}
    if "article" in values:
        ref = values["article"]
        out["article_id"] = None
        if ref is not None:
            out["article_id"] = session.scalar(select(Article.id).where(by_ref(Article, ref)))
            if out["article_id"] is None:
                raise ValidationFailed("article", f"no article {ref!r}")
    if entry is None and out.get("published_at") is None:
        out["published_at"] = utcnow()
    return out


def entry_out(session: Session, entry: FeedEntry) -> dict[str, Any]:
    """An entry as its editor sees it (the linked article whatever its status)."""
    from app.feed.schemas import feed_entry_out

    slug = session.scalar(select(Article.slug).where(Article.id == entry.article_id))
    return feed_entry_out(entry, slug)
