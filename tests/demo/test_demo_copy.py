"""Generated stories written with COPY (PostgreSQL): the same rows as the insert path, the
indexes and keys as the migrations made them, and an archive the API reads."""

import itertools
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from sqlmodel import Session

from app.demo import generate as demo
from app.models import Article, ArticleStatus, Author, Section, Tag
from tests.conftest import empty_tables, is_postgres

pytestmark = pytest.mark.skipif(not is_postgres(), reason="COPY is PostgreSQL's")

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
TABLES = (Section, Tag, Author, *demo.LOADED)


@pytest.fixture
def counted_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ids from a counter, so that two loads of the same archive can be compared row by row."""
    counter = itertools.count()
    monkeypatch.setattr(demo, "new_id", lambda prefix: f"{prefix}_{next(counter):024d}")


def rows(session: Session) -> dict[str, list[dict[str, Any]]]:
    """Every row of the tables a load writes, with the search vector PostgreSQL computed."""
    out: dict[str, list[dict[str, Any]]] = {}
    for model in TABLES:
        table: Any = model.__table__  # type: ignore[attr-defined]
        ordered = session.execute(select(table).order_by(*table.primary_key.columns))
        out[table.name] = [dict(row._mapping) for row in ordered]
    vectors = session.execute(text("SELECT id, search_vector::text FROM article ORDER BY id"))
    out["search_vector"] = [dict(row._mapping) for row in vectors]
    return out


def catalog(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    """The indexes and constraints of the database, as PostgreSQL describes them."""
    indexes = session.execute(
        text(
            "SELECT tablename, indexname, indexdef FROM pg_indexes "
            "WHERE schemaname = 'public' ORDER BY 1, 2"
        )
    )
    constraints = session.execute(
        text(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2"
        )
    )
    triggers = session.execute(
        text(
            "SELECT tgrelid::regclass::text, tgname, tgenabled FROM pg_trigger "
            "WHERE NOT tgisinternal ORDER BY 1, 2"
        )
    )
    return {
        "indexes": [tuple(r) for r in indexes],
        "constraints": [tuple(r) for r in constraints],
        "triggers": [tuple(r) for r in triggers],
    }


def test_copy_writes_the_rows_the_insert_path_writes(
    session: Session, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def load(**how: Any) -> dict[str, list[dict[str, Any]]]:
        counter = itertools.count()
        monkeypatch.setattr(demo, "new_id", lambda prefix: f"{prefix}_{next(counter):024d}")
        demo.generate(session, count=120, seed=7, now=NOW, **how)
        return rows(session)

    inserted = load(copy=False)
    empty_tables(engine)
    copied = load(copy=True, rebuild_indexes=True)
    assert len(inserted["article"]) == 120
    assert inserted["article_revision"] and inserted["related_link"] and inserted["photo"]
    for name, expected in inserted.items():
        assert copied[name] == expected, name


def test_a_copy_load_leaves_the_indexes_and_keys_as_the_migrations_made_them(
    session: Session, counted_ids: None
) -> None:
    before = catalog(session)
    assert any(name == "ix_article_search_vector" for _, name, _ in before["indexes"])
    assert any(name == "article_tag_published_at" for _, name, _ in before["triggers"])
    demo.generate(session, count=30, seed=7, rebuild_indexes=True)
    assert catalog(session) == before


def test_a_copy_load_renames_stories_whose_slug_is_taken(session: Session) -> None:
    demo.generate(session, count=25, seed=7, copy=True)
    # The same seed writes the same headlines again, numbered 26 to 50: move the first
    # stories' numbers there, so that every slug of the second load is taken.
    session.execute(
        text(
            "UPDATE article SET slug = regexp_replace(slug, '-([0-9]+)$', '') || '-' || "
            "(substring(slug from '-([0-9]+)$')::int + 25)"
        )
    )
    session.commit()
    first = set(session.scalars(select(Article.slug)))
    demo.generate(session, count=25, seed=7, copy=True)
    second = session.scalars(select(Article).where(Article.slug.not_in(first))).all()
    assert len(second) == 25
    assert {a.slug.removesuffix("-2") for a in second} == first
    assert all(a.canonical_url.endswith(f"/{a.slug}/") for a in second)


@pytest.mark.anyio
async def test_a_copied_archive_reads_through_the_api(session: Session, client: Any) -> None:
    demo.generate(session, count=150, seed=11, copy=True, rebuild_indexes=True)
    published = session.scalars(
        select(Article).where(Article.status == ArticleStatus.published)
    ).all()

    listed = await client.get("/v1/articles", params={"count": "exact", "limit": "5"})
    assert listed.status_code == 200
    assert listed.json()["meta"]["total"] == len(published)

    newest = max(published, key=lambda a: (a.published_at, a.id))
    story = await client.get(f"/v1/articles/{newest.slug}")
    assert story.status_code == 200
    body = story.json()["data"]
    assert body["headline"] == newest.headline
    assert body["authors"]
    assert [b["type"] for b in body["body"]] == [b["type"] for b in newest.body]
    assert body["word_count"] == newest.word_count

    word = newest.headline.split()[0].strip(",.:;!?'\"«»").lower()
    found = await client.get("/v1/articles", params={"q": word, "limit": "100", "fields": "id"})
    assert found.status_code == 200
    assert newest.id in {a["id"] for a in found.json()["data"]}
