"""Redirect queries: the old paths recorded by `byline import`, of stories a viewer may see."""

from sqlalchemy import select
from sqlmodel import Session

from app.models import Article, ImportSource
from app.pagination import Ordering, Page, PageParams, SortKey, paginate
from app.visibility import Viewer, visible_articles

ORDERING = Ordering(
    "path",
    (
        SortKey(ImportSource.old_path, False),
        SortKey(ImportSource.system, False),
        SortKey(ImportSource.kind, False),
        SortKey(ImportSource.source_id, False),
    ),
)


def list_redirects(
    session: Session, *, viewer: Viewer, page: PageParams, path: str | None = None
) -> Page:
    """Old paths of the stories `viewer` may read, in path order; one path with `path`.

    A story still hidden (a draft, scheduled, embargoed) has no redirect: its new slug
    would tell of it."""
    stmt = (
        select(ImportSource, Article.slug, Article.canonical_url)
        .join(Article, Article.id == ImportSource.object_id)
        .where(
            ImportSource.kind == "article",
            ImportSource.old_path.is_not(None),
            visible_articles(viewer),
        )
    )
    if path is not None:
        stmt = stmt.where(ImportSource.old_path == path)
    return paginate(session, stmt, ORDERING, page, rows=True)
