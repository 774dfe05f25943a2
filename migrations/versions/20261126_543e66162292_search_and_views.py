"""full-text search index and hourly view counts

Revision ID: 543e66162292
Revises: 430b0c53289d
Create Date: 2026-11-26 09:00:00.000000

The search index belongs to the database, not to the models (see app/search/index.py):

- SQLite: an FTS5 table over `article` (external content, keyed by the table's rowid),
  kept current by three triggers. A later migration that rebuilds `article` in batch mode
  (copy, drop, rename) drops these triggers and renumbers rowids: it must drop the FTS
  objects first and recreate them after, as `_create_sqlite` does here (ending with
  `rebuild`).
- PostgreSQL: a stored generated `tsvector` column with a GIN index. A later change of
  type of `headline`, `summary` or `body_text` must drop and re-add the column.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "543e66162292"
down_revision: str | None = "430b0c53289d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Letters, digits and combining marks make words; everything else separates
# them. Accents are kept, as PostgreSQL's `simple` configuration keeps them.
_TOKENIZE = "unicode61 remove_diacritics 0 categories 'L* N* M*'"

_SQLITE_CREATE = [
    f"""CREATE VIRTUAL TABLE article_fts USING fts5(
        headline, summary, body_text,
        content='article', content_rowid='rowid',
        tokenize="{_TOKENIZE}"
    )""",
    """CREATE TRIGGER article_fts_insert AFTER INSERT ON article BEGIN
        INSERT INTO article_fts(rowid, headline, summary, body_text)
        VALUES (new.rowid, new.headline, new.summary, new.body_text);
    END""",
    """CREATE TRIGGER article_fts_delete AFTER DELETE ON article BEGIN
        INSERT INTO article_fts(article_fts, rowid, headline, summary, body_text)
        VALUES ('delete', old.rowid, old.headline, old.summary, old.body_text);
    END""",
    """CREATE TRIGGER article_fts_update AFTER UPDATE OF headline, summary, body_text
    ON article BEGIN
        INSERT INTO article_fts(article_fts, rowid, headline, summary, body_text)
        VALUES ('delete', old.rowid, old.headline, old.summary, old.body_text);
        INSERT INTO article_fts(rowid, headline, summary, body_text)
        VALUES (new.rowid, new.headline, new.summary, new.body_text);
    END""",
    # Index what is already there.
    "INSERT INTO article_fts(article_fts) VALUES ('rebuild')",
]

_SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS article_fts_update",
    "DROP TRIGGER IF EXISTS article_fts_delete",
    "DROP TRIGGER IF EXISTS article_fts_insert",
    "DROP TABLE IF EXISTS article_fts",
]

# PostgreSQL's parser reads `a-b`, `u.s.`, `x@y`, `a/b`, `a_b`, `<b>` and `&amp;` as
# single tokens (hyphenated words, hosts, emails, paths, tags, entities) where FTS5 sees
# separate words: those characters become spaces first, so both find the same words.
_PUNCTUATION = "-./@:_<>&~+\\\\"  # as an E'' literal: the last two are one backslash


def _field(name: str, weight: str) -> str:
    blanks = " " * (len(_PUNCTUATION) - 1)
    return (
        f"setweight(to_tsvector('simple'::regconfig, "
        f"translate(coalesce({name}, ''), E'{_PUNCTUATION}', '{blanks}')), '{weight}')"
    )


# A filler lexeme no query can produce sits between the fields, so that a phrase never
# runs from the end of the headline into the summary (FTS5 phrases stay in one column).
_GAP = "'§:1'::tsvector"
_VECTOR = (
    f"{_field('headline', 'A')} || {_GAP} || {_field('summary', 'B')} || {_GAP} || "
    f"{_field('body_text', 'C')}"
)


def _run(statement: str) -> None:
    # Verbatim: `:` in these statements is SQL, not a bound parameter.
    op.get_bind().exec_driver_sql(statement)


def upgrade() -> None:
    op.create_table(
        "article_view_hour",
        sa.Column("article_id", sa.String(length=40), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("views", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["article.id"],
            name=op.f("fk_article_view_hour_article_id_article"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", "hour", name=op.f("pk_article_view_hour")),
    )
    op.create_index(
        "ix_article_view_hour_hour",
        "article_view_hour",
        ["hour", "article_id", "views"],
        unique=False,
    )
    if op.get_bind().dialect.name == "postgresql":
        _run(
            f"ALTER TABLE article ADD COLUMN search_vector tsvector "
            f"GENERATED ALWAYS AS ({_VECTOR}) STORED"
        )
        _run("CREATE INDEX ix_article_search_vector ON article USING gin (search_vector)")
    else:
        for statement in _SQLITE_CREATE:
            _run(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _run("DROP INDEX IF EXISTS ix_article_search_vector")
        _run("ALTER TABLE article DROP COLUMN IF EXISTS search_vector")
    else:
        for statement in _SQLITE_DROP:
            _run(statement)
    op.drop_index("ix_article_view_hour_hour", table_name="article_view_hour")
    op.drop_table("article_view_hour")
