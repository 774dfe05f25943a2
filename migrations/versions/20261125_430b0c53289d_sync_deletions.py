"""sync: deletion tombstones, embargo index

Revision ID: 430b0c53289d
Revises: 41b6588fb6ac
Create Date: 2026-11-25 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "430b0c53289d"
down_revision: str | None = "41b6588fb6ac"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "deletion",
        sa.Column("resource_type", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("resource_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("resource_type", "resource_id", name=op.f("pk_deletion")),
    )
    with op.batch_alter_table("deletion", schema=None) as batch_op:
        batch_op.create_index(
            "ix_deletion_deleted_at", ["deleted_at", "resource_type", "resource_id"], unique=False
        )
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.create_index("ix_article_embargo_until", ["embargo_until"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.drop_index("ix_article_embargo_until")
    with op.batch_alter_table("deletion", schema=None) as batch_op:
        batch_op.drop_index("ix_deletion_deleted_at")
    op.drop_table("deletion")
