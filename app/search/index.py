"""How each database indexes articles for search, and the SQL that asks it.

SQLite: an FTS5 table over `article` (external content: the text is stored once, in
`article`), kept current by triggers. PostgreSQL: a stored generated `tsvector` column on
`article` with a GIN index. Both are created by a migration and maintained by the database
itself, so every write path (ORM, bulk inserts, SQL by hand) keeps them current in its own
transaction. Neither is part of the SQLModel metadata; `include_object` keeps them out of
Alembic's comparison.

Both tokenize the same way for words of letters and digits: no stemming, no stop words,
case folded, accents kept (FTS5 `unicode61 remove_diacritics 0`, PostgreSQL `simple` with
the punctuation its parser reads as URLs, hosts, paths or hyphenated words turned into
spaces first), so the same query finds the same articles on both.
"""

import html
import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Float, case, cast, column, func, literal_column, select, table
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from app.models import Article
from app.search.query import SearchQuery

FTS_TABLE = "article_fts"
TSVECTOR_COLUMN = "search_vector"
TSVECTOR_INDEX = "ix_article_search_vector"

# Headline over summary over body: FTS5 bm25() column weights, PostgreSQL weights A, B, C
# (ts_rank takes them as {D, C, B, A}).
FTS5_WEIGHTS = (10.0, 4.0, 1.0)
TS_WEIGHTS = "{0.1, 0.25, 0.4, 1.0}"

# Private-use characters mark matches in snippets: they cannot be confused with markup,
# and only they become <mark> tags once the text is escaped.
START, STOP = "\ue000", "\ue001"
SNIPPET_TOKENS = 24

_fts = table(FTS_TABLE, column("rowid"))
_SIMPLE = literal_column("'simple'::regconfig")
_VECTOR = literal_column(f"article.{TSVECTOR_COLUMN}")


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic's filter: the search index objects are the database's, not the models'."""
    if type_ == "table" and name is not None and name.startswith(FTS_TABLE):
        return False  # the FTS5 table and its shadow tables
    if type_ == "column" and name == TSVECTOR_COLUMN:
        return False
    return not (type_ == "index" and name == TSVECTOR_INDEX)


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _tsquery(query: SearchQuery, *, ranking: bool = False) -> ColumnElement[Any]:
    return func.to_tsquery(_SIMPLE, query.ranking_tsquery() if ranking else query.tsquery())


def matching(session: Session, stmt: Any, query: SearchQuery) -> Any:
    """`stmt` (a select of Article) narrowed to the articles matching `query`."""
    if _dialect(session) == "postgresql":
        return stmt.where(_VECTOR.op("@@")(_tsquery(query)))
    return stmt.join(_fts, _fts.c.rowid == literal_column("article.rowid")).where(
        literal_column(FTS_TABLE).op("MATCH")(query.fts5())
    )


def score(session: Session, query: SearchQuery) -> ColumnElement[float]:
    """Relevance, higher is better, for a statement made by `matching`: a double on both
    databases, so that a cursor carries it exactly."""
    if _dialect(session) == "postgresql":
        weights = literal_column(f"'{TS_WEIGHTS}'::float4[]")
        rank = func.ts_rank(weights, _VECTOR, _tsquery(query, ranking=True))
        return cast(rank, Float).label("score")
    weights = ", ".join(str(w) for w in FTS5_WEIGHTS)
    # bm25() is better the more negative it is.
    return cast(-func.bm25(literal_column(f"{FTS_TABLE}, {weights}")), Float).label("score")


def snippets(session: Session, query: SearchQuery, ids: Sequence[str]) -> dict[str, str]:
    """An HTML-safe excerpt around the matches of each article, matches in `<mark>`.

    One query for a page, whatever its size.
    """
    if not ids:
        return {}
    if _dialect(session) == "postgresql":
        tsq = _tsquery(query)
        # The best field that matches the query by itself, the body first.
        source = case(
            (func.ts_filter(_VECTOR, literal_column("'{c}'")).op("@@")(tsq), Article.body_text),
            (func.ts_filter(_VECTOR, literal_column("'{b}'")).op("@@")(tsq), Article.summary),
            (func.ts_filter(_VECTOR, literal_column("'{a}'")).op("@@")(tsq), Article.headline),
            else_=Article.body_text,
        )
        options = (
            f'StartSel="{START}", StopSel="{STOP}", MaxWords={SNIPPET_TOKENS}, '
            f'MinWords={SNIPPET_TOKENS // 2}, MaxFragments=1, FragmentDelimiter=" … "'
        )
        excerpt = func.ts_headline(_SIMPLE, source, tsq, options)
        rows = session.execute(select(Article.id, excerpt).where(Article.id.in_(ids)))
    else:
        excerpt = func.snippet(literal_column(FTS_TABLE), -1, START, STOP, "…", SNIPPET_TOKENS)
        rows = session.execute(
            select(Article.id, excerpt)
            .select_from(_fts)
            .join(Article, literal_column("article.rowid") == _fts.c.rowid)
            .where(
                literal_column(FTS_TABLE).op("MATCH")(query.fts5()),
                _fts.c.rowid.in_(
                    select(literal_column("rowid")).select_from(Article).where(Article.id.in_(ids))
                ),
            )
        )
    return {article_id: marked(text or "") for article_id, text in rows}


_MARKS = re.compile(f"([{START}{STOP}])")


def marked(text: str) -> str:
    """Escape `text` for HTML and turn the match markers into balanced `<mark>` tags."""
    out: list[str] = []
    inside = False
    for part in _MARKS.split(text):
        if part == START:
            if not inside:
                out.append("<mark>")
                inside = True
        elif part == STOP:
            if inside:
                out.append("</mark>")
                inside = False
        else:
            out.append(html.escape(part))
    if inside:
        out.append("</mark>")
    return "".join(out).strip()
