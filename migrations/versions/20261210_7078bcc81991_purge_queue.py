"""the purge queue: each dispatched event's surrogate keys on their way to the CDN

Revision ID: 7078bcc81991
Revises: 90ba6aa0d4d9
Create Date: 2026-12-10 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "7078bcc81991"
down_revision: str | None = "90ba6aa0d4d9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "purge",
        sa.Column("event_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column(
            "keys",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_token", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_purge")),
    )
    with op.batch_alter_table("purge", schema=None) as batch_op:
        batch_op.create_index("ix_purge_completed_at", ["completed_at"], unique=False)
        batch_op.create_index("ix_purge_due", ["next_attempt_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("purge", schema=None) as batch_op:
        batch_op.drop_index("ix_purge_due")
        batch_op.drop_index("ix_purge_completed_at")

    op.drop_table("purge")
