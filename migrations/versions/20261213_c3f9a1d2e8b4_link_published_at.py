"""link published_at: tag and author lists walk their own index in publication order

`article_tag` and `article_author` get a copy of their article's `published_at`, kept
equal to it by the database (triggers), so that one tag's or one author's newest stories
are read from an index on (tag_id | author_id, published_at, article_id) in order, and a
deep page costs what the first one does. No writer needs to know of the copy: the ORM,
the importer, bulk inserts and COPY (which fires row triggers) all keep it current.

- PostgreSQL: a BEFORE INSERT OR UPDATE trigger on each link table reads the article's
  time; an AFTER UPDATE OF published_at trigger on `article` copies a new time to its links.
- SQLite: AFTER triggers of the same meaning (SQLite cannot assign NEW in a trigger), so
  the column is nullable and filled just after the row is written. A later migration that
  rebuilds `article` or a link table in batch mode (copy, drop, rename) drops these
  triggers: it must recreate them after, as `_create_sqlite` does here.

Revision ID: c3f9a1d2e8b4
Revises: 5b1e7c3a9d20
Create Date: 2026-12-13 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c3f9a1d2e8b4"
down_revision: str | None = "5b1e7c3a9d20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each link table, the column naming its other end, and its old and new index.
_LINKS = (
    ("article_tag", "tag_id", "ix_article_tag_tag_id"),
    ("article_author", "author_id", "ix_article_author_author_id"),
)

_PG_CREATE = [
    """CREATE FUNCTION link_published_at() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        SELECT a.published_at INTO NEW.published_at FROM article a WHERE a.id = NEW.article_id;
        RETURN NEW;
    END $$""",
    """CREATE FUNCTION article_links_published_at() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE article_tag SET published_at = NEW.published_at WHERE article_id = NEW.id;
        UPDATE article_author SET published_at = NEW.published_at WHERE article_id = NEW.id;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER article_tag_published_at BEFORE INSERT OR UPDATE ON article_tag
    FOR EACH ROW EXECUTE FUNCTION link_published_at()""",
    """CREATE TRIGGER article_author_published_at BEFORE INSERT OR UPDATE ON article_author
    FOR EACH ROW EXECUTE FUNCTION link_published_at()""",
    """CREATE TRIGGER article_published_at_links AFTER UPDATE OF published_at ON article
    FOR EACH ROW WHEN (OLD.published_at IS DISTINCT FROM NEW.published_at)
    EXECUTE FUNCTION article_links_published_at()""",
]

_PG_DROP = [
    "DROP TRIGGER IF EXISTS article_published_at_links ON article",
    "DROP TRIGGER IF EXISTS article_author_published_at ON article_author",
    "DROP TRIGGER IF EXISTS article_tag_published_at ON article_tag",
    "DROP FUNCTION IF EXISTS article_links_published_at()",
    "DROP FUNCTION IF EXISTS link_published_at()",
]


def _sqlite_link_trigger(table: str, other: str) -> str:
    return f"""CREATE TRIGGER {table}_published_at AFTER INSERT ON {table} BEGIN
        UPDATE {table} SET published_at = (
            SELECT published_at FROM article WHERE id = NEW.article_id
        ) WHERE article_id = NEW.article_id AND {other} = NEW.{other};
    END"""


def _sqlite_link_moved(table: str, other: str) -> str:
    return f"""CREATE TRIGGER {table}_published_at_moved AFTER UPDATE OF article_id, published_at
    ON {table} BEGIN
        UPDATE {table} SET published_at = (
            SELECT published_at FROM article WHERE id = NEW.article_id
        ) WHERE article_id = NEW.article_id AND {other} = NEW.{other};
    END"""


_SQLITE_CREATE = [
    *(_sqlite_link_trigger(table, other) for table, other, _ in _LINKS),
    *(_sqlite_link_moved(table, other) for table, other, _ in _LINKS),
    """CREATE TRIGGER article_published_at_links AFTER UPDATE OF published_at ON article
    WHEN OLD.published_at IS NOT NEW.published_at BEGIN
        UPDATE article_tag SET published_at = NEW.published_at WHERE article_id = NEW.id;
        UPDATE article_author SET published_at = NEW.published_at WHERE article_id = NEW.id;
    END""",
]

_SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS article_published_at_links",
    *(f"DROP TRIGGER IF EXISTS {table}_published_at_moved" for table, _, _ in _LINKS),
    *(f"DROP TRIGGER IF EXISTS {table}_published_at" for table, _, _ in _LINKS),
]


def _run(statement: str) -> None:
    op.get_bind().exec_driver_sql(statement)


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, _, _ in _LINKS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("published_at", sa.DateTime(timezone=True), nullable=True)
            )
    # The copy of what is there, before any index on it is built.
    for table, _, _ in _LINKS:
        if postgresql:
            _run(
                f"UPDATE {table} SET published_at = article.published_at FROM article "
                f"WHERE article.id = {table}.article_id AND article.published_at IS NOT NULL"
            )
        else:
            _run(
                f"UPDATE {table} SET published_at = (SELECT published_at FROM article "
                f"WHERE article.id = {table}.article_id)"
            )
    for statement in _PG_CREATE if postgresql else _SQLITE_CREATE:
        _run(statement)
    for table, other, old_index in _LINKS:
        op.drop_index(old_index, table_name=table)
        op.create_index(
            f"ix_{table}_{other}_published_at",
            table,
            [other, "published_at", "article_id"],
            unique=False,
        )


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in _PG_DROP if postgresql else _SQLITE_DROP:
        _run(statement)
    for table, other, old_index in _LINKS:
        op.drop_index(f"ix_{table}_{other}_published_at", table_name=table)
        op.create_index(old_index, table, [other, "article_id"], unique=False)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("published_at")
