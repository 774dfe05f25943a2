"""content state: when anything last left what readers see (Last-Modified's floor)

Revision ID: 90ba6aa0d4d9
Revises: a15c6d09067f
Create Date: 2026-12-02 10:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "90ba6aa0d4d9"
down_revision: str | None = "a15c6d09067f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("content_state", schema=None) as batch_op:
        batch_op.add_column(sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True))
    # None yet: Last-Modified given before was the time of the last write, never earlier
    # than a change, so clients' copies dated by it stay as safe against the new rule.


def downgrade() -> None:
    with op.batch_alter_table("content_state", schema=None) as batch_op:
        batch_op.drop_column("removed_at")
