"""import source: what each imported object was called in the system it came from

Revision ID: b7e3f1a2c4d9
Revises: 00c5d002283d
Create Date: 2026-12-12 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "b7e3f1a2c4d9"
down_revision: str | None = "00c5d002283d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "import_source",
        sa.Column("system", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("source_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("object_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("old_path", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("system", "kind", "source_id", name=op.f("pk_import_source")),
    )
    op.create_index("ix_import_source_object_id", "import_source", ["object_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_import_source_object_id", table_name="import_source")
    op.drop_table("import_source")
