"""Views and what is most read: hourly counts upserted in place, ranked over a window."""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from app.lookup import get_by_ref
from app.models import Article, ArticleViewHour
from app.visibility import Viewer, visible_articles

WINDOWS = {"1h": timedelta(hours=1), "24h": timedelta(hours=24), "7d": timedelta(days=7)}


def hour_of(at: datetime) -> datetime:
    """The hour bucket a moment counts in."""
    return at.replace(minute=0, second=0, microsecond=0)


def _as_reader(viewer: Viewer) -> Viewer:
    # Views count, and rank, only what readers see published: an editor's preview of a
    # draft is not a read.
    return replace(viewer, preview=False)


def viewable_article_id(session: Session, *, ref: str, viewer: Viewer) -> str:
    """The id of the published article `ref` if `viewer` may read it, else NotFound."""
    where = visible_articles(_as_reader(viewer))
    return get_by_ref(session, Article, ref, where=where, label="article").id


def add_views(session: Session, *, counts: Mapping[tuple[str, datetime], int]) -> None:
    """Add counted views to their (article, hour) rows, creating rows as needed, atomically
    on both databases. An article deleted meanwhile is skipped, not an error."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    for (article_id, hour), n in counts.items():
        source = select(Article.id, literal(hour, ArticleViewHour.hour.type), literal(n)).where(
            Article.id == article_id
        )
        stmt = insert(ArticleViewHour).from_select(["article_id", "hour", "views"], source)
        stmt = stmt.on_conflict_do_update(
            index_elements=[ArticleViewHour.article_id, ArticleViewHour.hour],
            set_={"views": ArticleViewHour.views + stmt.excluded.views},
        )
        session.execute(stmt)


@dataclass(frozen=True)
class Ranked:
    article: Article
    views: int


def most_viewed(session: Session, *, window: str, limit: int, viewer: Viewer) -> list[Ranked]:
    """The published articles `viewer` may read, most viewed in the window first.

    Counts are whole hours: `1h` adds up the current hour (so far) and the one before, `24h`
    the current hour and the 24 before it. Ties go to the newer story.
    """
    since = hour_of(viewer.now - WINDOWS[window])
    views = func.sum(ArticleViewHour.views).label("views")
    totals = (
        select(ArticleViewHour.article_id, views)
        .where(ArticleViewHour.hour >= since)
        .group_by(ArticleViewHour.article_id)
        .subquery()
    )
    rows: Any = session.execute(
        select(Article, totals.c.views)
        .join(totals, totals.c.article_id == Article.id)
        .where(visible_articles(_as_reader(viewer)), Article.published_at.is_not(None))
        .order_by(totals.c.views.desc(), Article.published_at.desc(), Article.id.desc())
        .limit(limit)
    )
    return [Ranked(article, int(n)) for article, n in rows]
