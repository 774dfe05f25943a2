"""idempotency: a lease per claim, the resource a keyed write made, when the answer was kept

Revision ID: a15c6d09067f
Revises: 2c8e87f49617
Create Date: 2026-12-02 09:12:25.728438
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "a15c6d09067f"
down_revision: str | None = "2c8e87f49617"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("idempotency_record", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("token", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("resource_type", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True)
        )
        batch_op.add_column(
            sa.Column("resource_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True)
        )
        batch_op.add_column(sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True))
    # Rows kept so far: an answer is a kept answer; a row without one is a lease run out.
    op.execute(
        "UPDATE idempotency_record SET token = '', lease_until = created_at, "
        "answered_at = CASE WHEN status IS NULL THEN NULL ELSE created_at END"
    )
    with op.batch_alter_table("idempotency_record", schema=None) as batch_op:
        batch_op.alter_column(
            "token", existing_type=sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False
        )
        batch_op.alter_column(
            "lease_until", existing_type=sa.DateTime(timezone=True), nullable=False
        )


def downgrade() -> None:
    # An answer never kept (its write committed, its server died) cannot be replayed by the
    # old schema, which would read the row as in progress: those rows go.
    op.execute("DELETE FROM idempotency_record WHERE answered_at IS NULL")
    with op.batch_alter_table("idempotency_record", schema=None) as batch_op:
        batch_op.drop_column("answered_at")
        batch_op.drop_column("resource_id")
        batch_op.drop_column("resource_type")
        batch_op.drop_column("lease_until")
        batch_op.drop_column("token")
