"""News Feed queries."""

from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlmodel import Session

from app import surrogate, writes
from app.db import utcnow
from app.editorial import Editor
from app.errors import NotFound
from app.feed.schemas import FeedEntryCreate, FeedEntryUpdate, feed_entry_out
from app.lookup import id_for_body
from app.models import Article, FeedEntry, FeedKind
from app.pagination import Ordering, Page, PageParams, SortKey, paginate
from app.visibility import Viewer, linked_story_slug, visible_feed_entries, with_linked_story
from app.writes import Resource

ORDERING = Ordering("newest", (SortKey(FeedEntry.published_at), SortKey(FeedEntry.id)))


def entry_keys(entry: FeedEntry) -> set[str]:
    """The surrogate keys of an entry's answers (and of its article's)."""
    keys = {f"feed_entry:{entry.id}"}
    if entry.article_id:
        keys.add(f"article:{entry.article_id}")
    return keys


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
    out = {k: v for k, v in values.items() if k != "article"}
    if "article" in values:
        ref = values["article"]
        out["article_id"] = None
        if ref is not None:
            out["article_id"] = id_for_body(session, Article, ref, field="article", label="article")
    if entry is None and out.get("published_at") is None:
        out["published_at"] = utcnow()
    return out


def entry_out(session: Session, entry: FeedEntry) -> dict[str, Any]:
    """An entry as its editor sees it (the linked article whatever its status)."""
    slug = session.scalar(select(Article.slug).where(Article.id == entry.article_id))
    return feed_entry_out(entry, slug)


FEED_ENTRIES = Resource(
    model=FeedEntry,
    name="feed_entry",
    id_prefix="fe",
    update=FeedEntryUpdate,
    out=entry_out,
    keys=lambda row: surrogate.object_change(
        [surrogate.FEED, *entry_keys(row)], shown_in_article_lists=False
    ),
    prepare=prepare_entry,
    slug_from=None,
)


def create_feed_entry(session: Session, who: Editor, *, data: FeedEntryCreate) -> FeedEntry:
    """A new feed entry from a validated body, audited in the same transaction."""
    return writes.create(session, who, FEED_ENTRIES, data)


def update_feed_entry(
    session: Session, who: Editor, *, ref: str, data: FeedEntryUpdate
) -> FeedEntry:
    """Apply a merge patch to the version `If-Match` names (428 without, 412 when stale)."""
    return writes.update(session, who, FEED_ENTRIES, ref, data)


def delete_feed_entry(session: Session, who: Editor, *, ref: str) -> None:
    """Delete the version `If-Match` names."""
    writes.remove(session, who, FEED_ENTRIES, ref)
