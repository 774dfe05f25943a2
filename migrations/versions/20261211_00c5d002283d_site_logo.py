"""site logo: the publisher's logo for structured data, with its size when known

Revision ID: 00c5d002283d
Revises: 7078bcc81991
Create Date: 2026-12-11 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "00c5d002283d"
down_revision: str | None = "7078bcc81991"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("logo_url", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True)
        )
        batch_op.add_column(sa.Column("logo_width", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("logo_height", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.drop_column("logo_height")
        batch_op.drop_column("logo_width")
        batch_op.drop_column("logo_url")
