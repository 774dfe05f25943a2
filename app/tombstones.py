"""Tombstones: every delete of synced content leaves one, in the delete's own transaction,
keeping what `app.visibility.known_deletions` reads to tell who may learn of it."""

from typing import Any

from sqlalchemy import literal, select, union_all
from sqlmodel import Session, col

from app.db import utcnow
from app.generation import note_removal
from app.models import Article, ArticleTag, Deletion, DeletionTag, FeedEntry, Section, Tag
from app.visibility import was_public


def _story_links(session: Session, article: Article) -> list[tuple[str, str, str]]:
    """The story's section and tags as (kind, id, slug), in one query."""
    return [
        (kind, id_, slug)
        for kind, id_, slug in session.execute(
            union_all(
                select(literal("section"), col(Section.id), col(Section.slug)).where(
                    col(Section.id) == article.section_id
                ),
                select(literal("tag"), col(Tag.id), col(Tag.slug))
                .join(ArticleTag, col(ArticleTag.tag_id) == col(Tag.id))
                .where(col(ArticleTag.article_id) == article.id),
            )
        )
    ]


def record_deletion(session: Session, resource_type: str, row: Any) -> None:
    """Add the tombstone of `row` to the session; it commits or rolls back with the delete.

    Call it before the row's `DELETE`: an article's tags go with the article.
    """
    now = utcnow()
    note_removal(session)
    deletion = Deletion(
        resource_type=resource_type,
        resource_id=row.id,
        deleted_at=now,
        public=was_public(row, now),
    )
    if isinstance(row, FeedEntry):
        deletion.status, deletion.published_at = row.status, row.published_at
    if isinstance(row, Article):
        deletion.status = row.status
        deletion.published_at = row.published_at
        deletion.first_published_at = row.first_published_at
        deletion.embargo_until = row.embargo_until
        for kind, id_, slug in _story_links(session, row):
            if kind == "section":
                deletion.section_id, deletion.section_slug = id_, slug
            else:
                session.add(DeletionTag(article_id=row.id, tag_id=id_, tag_slug=slug))
    session.add(deletion)
