"""content model

Revision ID: 3a4d8306e96c
Revises:
Create Date: 2026-11-25 03:33:10.093636
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "3a4d8306e96c"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "author",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("slug", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("job_title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("bio", sa.Text(), nullable=True),
        sa.Column("avatar_url", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_author")),
        sa.UniqueConstraint("slug", name=op.f("uq_author_slug")),
    )
    with op.batch_alter_table("author", schema=None) as batch_op:
        batch_op.create_index("ix_author_name_id", ["name", "id"], unique=False)

    op.create_table(
        "photo",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("caption", sa.Text(), nullable=True),
        sa.Column("credit", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("photographer", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("agency", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("alt_text", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("mime_type", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("copyright_holder", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("usage_terms", sa.Text(), nullable=True),
        sa.Column("syndication_allowed", sa.Boolean(), nullable=False),
        sa.Column(
            "renditions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_photo")),
    )
    op.create_table(
        "section",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("slug", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_section")),
        sa.UniqueConstraint("slug", name=op.f("uq_section_slug")),
    )
    with op.batch_alter_table("section", schema=None) as batch_op:
        batch_op.create_index("ix_section_position_id", ["position", "id"], unique=False)

    op.create_table(
        "site",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("timezone", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("banner_text", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("banner_url", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("banner_cta", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site")),
    )
    op.create_table(
        "tag",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("slug", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tag")),
        sa.UniqueConstraint("slug", name=op.f("uq_tag_slug")),
    )
    op.create_table(
        "article",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("slug", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("headline", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("subheadline", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("dateline", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("section_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("lead_photo_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column(
            "body",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("word_count", sa.Integer(), nullable=False),
        sa.Column("reading_time_minutes", sa.Integer(), nullable=False),
        sa.Column("canonical_url", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("translation_group", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("embargo_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_photo_id"],
            ["photo.id"],
            name=op.f("fk_article_lead_photo_id_photo"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["section_id"],
            ["section.id"],
            name=op.f("fk_article_section_id_section"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article")),
        sa.UniqueConstraint("slug", name=op.f("uq_article_slug")),
    )
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.create_index(
            "ix_article_language_published_at", ["language", "published_at", "id"], unique=False
        )
        batch_op.create_index("ix_article_published_at_id", ["published_at", "id"], unique=False)
        batch_op.create_index(
            "ix_article_section_id_published_at", ["section_id", "published_at", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_article_translation_group"), ["translation_group"], unique=False
        )
        batch_op.create_index(
            "ix_article_type_published_at", ["type", "published_at", "id"], unique=False
        )
        batch_op.create_index("ix_article_updated_at_id", ["updated_at", "id"], unique=False)

    op.create_table(
        "article_author",
        sa.Column("article_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("author_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["article.id"],
            name=op.f("fk_article_author_article_id_article"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["author.id"],
            name=op.f("fk_article_author_author_id_author"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", "author_id", name=op.f("pk_article_author")),
    )
    with op.batch_alter_table("article_author", schema=None) as batch_op:
        batch_op.create_index(
            "ix_article_author_author_id", ["author_id", "article_id"], unique=False
        )

    op.create_table(
        "article_tag",
        sa.Column("article_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("tag_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["article.id"],
            name=op.f("fk_article_tag_article_id_article"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tag.id"], name=op.f("fk_article_tag_tag_id_tag"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("article_id", "tag_id", name=op.f("pk_article_tag")),
    )
    with op.batch_alter_table("article_tag", schema=None) as batch_op:
        batch_op.create_index("ix_article_tag_tag_id", ["tag_id", "article_id"], unique=False)

    op.create_table(
        "correction",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("article_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["article.id"],
            name=op.f("fk_correction_article_id_article"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_correction")),
    )
    with op.batch_alter_table("correction", schema=None) as batch_op:
        batch_op.create_index(
            "ix_correction_article_id_created_at", ["article_id", "created_at"], unique=False
        )

    op.create_table(
        "feed_entry",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("article_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["article.id"],
            name=op.f("fk_feed_entry_article_id_article"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_entry")),
    )
    with op.batch_alter_table("feed_entry", schema=None) as batch_op:
        batch_op.create_index("ix_feed_entry_published_at_id", ["published_at", "id"], unique=False)

    op.create_table(
        "related_link",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("article_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("target_article_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("site_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("inline", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["article.id"],
            name=op.f("fk_related_link_article_id_article"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_article_id"],
            ["article.id"],
            name=op.f("fk_related_link_target_article_id_article"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_related_link")),
    )
    with op.batch_alter_table("related_link", schema=None) as batch_op:
        batch_op.create_index(
            "ix_related_link_article_id_position", ["article_id", "position"], unique=False
        )
        batch_op.create_index(
            "ix_related_link_target_article_id", ["target_article_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("related_link", schema=None) as batch_op:
        batch_op.drop_index("ix_related_link_target_article_id")
        batch_op.drop_index("ix_related_link_article_id_position")

    op.drop_table("related_link")
    with op.batch_alter_table("feed_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_feed_entry_published_at_id")

    op.drop_table("feed_entry")
    with op.batch_alter_table("correction", schema=None) as batch_op:
        batch_op.drop_index("ix_correction_article_id_created_at")

    op.drop_table("correction")
    with op.batch_alter_table("article_tag", schema=None) as batch_op:
        batch_op.drop_index("ix_article_tag_tag_id")

    op.drop_table("article_tag")
    with op.batch_alter_table("article_author", schema=None) as batch_op:
        batch_op.drop_index("ix_article_author_author_id")

    op.drop_table("article_author")
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.drop_index("ix_article_updated_at_id")
        batch_op.drop_index("ix_article_type_published_at")
        batch_op.drop_index(batch_op.f("ix_article_translation_group"))
        batch_op.drop_index("ix_article_section_id_published_at")
        batch_op.drop_index("ix_article_published_at_id")
        batch_op.drop_index("ix_article_language_published_at")

    op.drop_table("article")
    op.drop_table("tag")
    op.drop_table("site")
    with op.batch_alter_table("section", schema=None) as batch_op:
        batch_op.drop_index("ix_section_position_id")

    op.drop_table("section")
    op.drop_table("photo")
    with op.batch_alter_table("author", schema=None) as batch_op:
        batch_op.drop_index("ix_author_name_id")

    op.drop_table("author")
