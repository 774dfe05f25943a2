"""deletion: what the visibility rule reads of a deleted story (its times, status, section
and tags), so that each viewer is told of a delete it may have seen

Revision ID: 2c8e87f49617
Revises: 16ac7dba537a
Create Date: 2026-12-01 21:50:03.460103
"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

from app.db import UTCDateTime

revision: str = "2c8e87f49617"
down_revision: str | None = "16ac7dba537a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "deletion_tag",
        sa.Column("article_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("tag_slug", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("tag_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.PrimaryKeyConstraint("article_id", "tag_slug", name=op.f("pk_deletion_tag")),
    )
    with op.batch_alter_table("deletion", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
        )
        batch_op.add_column(sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("first_published_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("embargo_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("section_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True)
        )
        batch_op.add_column(
            sa.Column("section_slug", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True)
        )
    _recover_deleted_stories()


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _recover_deleted_stories() -> None:
    """Fill the new columns of earlier article tombstones from the story the `article.deleted`
    event carried (section and tags by slug; their ids if they still exist). A tombstone
    without such an event keeps nulls: `public` alone decides for it, as before."""
    bind = op.get_bind()
    deletion = sa.table(
        "deletion",
        sa.column("resource_type", sa.String),
        sa.column("resource_id", sa.String),
        sa.column("status", sa.String),
        sa.column("published_at", UTCDateTime),
        sa.column("first_published_at", UTCDateTime),
        sa.column("embargo_until", UTCDateTime),
        sa.column("section_id", sa.String),
        sa.column("section_slug", sa.String),
    )
    event = sa.table(
        "event",
        sa.column("type", sa.String),
        sa.column("subject_id", sa.String),
        sa.column("data", sa.JSON),
        sa.column("occurred_at", UTCDateTime),
    )
    section = sa.table("section", sa.column("id", sa.String), sa.column("slug", sa.String))
    tag = sa.table("tag", sa.column("id", sa.String), sa.column("slug", sa.String))
    deletion_tag = sa.table(
        "deletion_tag",
        sa.column("article_id", sa.String),
        sa.column("tag_slug", sa.String),
        sa.column("tag_id", sa.String),
    )
    rows = bind.execute(
        sa.select(event.c.subject_id, event.c.data)
        .join(
            deletion,
            sa.and_(
                deletion.c.resource_type == "article", deletion.c.resource_id == event.c.subject_id
            ),
        )
        .where(event.c.type == "article.deleted")
        .order_by(event.c.occurred_at)
    )
    stories = {article_id: data.get("article") or {} for article_id, data in rows}  # the last
    sections = dict(bind.execute(sa.select(section.c.slug, section.c.id)).all())
    tags = dict(bind.execute(sa.select(tag.c.slug, tag.c.id)).all()) if stories else {}
    for article_id, story in stories.items():
        bind.execute(
            deletion.update()
            .where(deletion.c.resource_type == "article", deletion.c.resource_id == article_id)
            .values(
                status=story.get("status"),
                published_at=_time(story.get("published_at")),
                first_published_at=_time(story.get("first_published_at")),
                embargo_until=_time(story.get("embargo_until")),
                section_slug=story.get("section"),
                section_id=sections.get(story.get("section")),
            )
        )
        for slug in dict.fromkeys(story.get("tags") or []):
            bind.execute(
                deletion_tag.insert().values(
                    article_id=article_id, tag_slug=slug, tag_id=tags.get(slug)
                )
            )


def downgrade() -> None:
    with op.batch_alter_table("deletion", schema=None) as batch_op:
        batch_op.drop_column("section_slug")
        batch_op.drop_column("section_id")
        batch_op.drop_column("embargo_until")
        batch_op.drop_column("first_published_at")
        batch_op.drop_column("published_at")
        batch_op.drop_column("status")
    op.drop_table("deletion_tag")
