"""content state

Revision ID: 77ccd4baaf09
Revises: 5d66ba586a24
Create Date: 2026-11-25 04:06:39.947094
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "77ccd4baaf09"
down_revision: str | None = "5d66ba586a24"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "content_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_transition_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_state")),
    )
    # The one row exists from the start, so that readers never have to create it.
    state = sa.table(
        "content_state",
        sa.column("id", sa.Integer()),
        sa.column("generation", sa.Integer()),
        sa.column("changed_at", sa.DateTime(timezone=True)),
    )
    op.bulk_insert(state, [{"id": 1, "generation": 1, "changed_at": datetime.now(UTC)}])


def downgrade() -> None:

    op.drop_table("content_state")
