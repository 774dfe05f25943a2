"""photo paths: an uploaded photo keeps its files' paths in the media store, not URLs

Rows written before kept the URL of the host that took the upload (`http://host/media/
pho_.../original.jpg`); the URL is now made when a photo is read, from MEDIA_URL or
PUBLIC_URL. Only the paths are kept: `pho_.../original.jpg`. Rows that still hold a URL
are read correctly too, so the downgrade leaves the paths as they are.

Revision ID: 5b1e7c3a9d20
Revises: b7e3f1a2c4d9
Create Date: 2026-12-12 06:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "5b1e7c3a9d20"
down_revision: str | None = "b7e3f1a2c4d9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

photo = sa.table(
    "photo",
    sa.column("id", sa.String),
    sa.column("url", sa.String),
    sa.column("storage_key", sa.String),
    sa.column("renditions", sa.JSON().with_variant(JSONB(), "postgresql")),
)


def _path(value: str, folder: str) -> str:
    if "://" not in value and not value.startswith("/"):
        return value
    at = value.rfind(f"/{folder}/")
    return value[at + 1 :] if at >= 0 else value


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(photo.c.id, photo.c.url, photo.c.storage_key, photo.c.renditions).where(
            photo.c.storage_key.is_not(None)
        )
    ).all()
    for id_, url, folder, renditions in rows:
        paths = [{**r, "url": _path(r["url"], folder)} for r in renditions or []]
        bind.execute(
            photo.update().where(photo.c.id == id_).values(url=_path(url, folder), renditions=paths)
        )


def downgrade() -> None:
    pass
