"""sync indexes: the change log reads articles and photos each from an index in order

An article's change time is the latest of its save, its publication once passed and its
embargo's end once passed. The log reads it as three disjoint parts, each in the order of
one column: saved (updated_at, an index there is), published after the last save, and
out of embargo after the last save; the last two get partial indexes holding only such
stories. Photos get an (updated_at, id) index.

Revision ID: d4e5f6a7b8c9
Revises: c3f9a1d2e8b4
Create Date: 2026-12-13 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d4e5f6a7b8c9"
down_revision: str | None = "c3f9a1d2e8b4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PUBLISHED_AFTER_SAVE = sa.text("published_at > updated_at")
_EMBARGO_AFTER_SAVE = sa.text("embargo_until > updated_at")


def upgrade() -> None:
    op.create_index("ix_photo_updated_at_id", "photo", ["updated_at", "id"], unique=False)
    op.create_index(
        "ix_article_published_after_save",
        "article",
        ["published_at", "id"],
        unique=False,
        postgresql_where=_PUBLISHED_AFTER_SAVE,
        sqlite_where=_PUBLISHED_AFTER_SAVE,
    )
    op.create_index(
        "ix_article_embargo_after_save",
        "article",
        ["embargo_until", "id"],
        unique=False,
        postgresql_where=_EMBARGO_AFTER_SAVE,
        sqlite_where=_EMBARGO_AFTER_SAVE,
    )


def downgrade() -> None:
    op.drop_index("ix_article_embargo_after_save", table_name="article")
    op.drop_index("ix_article_published_after_save", table_name="article")
    op.drop_index("ix_photo_updated_at_id", table_name="photo")
