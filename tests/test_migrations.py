"""Migrations build exactly the models' schema on the test's database kind, and undo cleanly."""

import subprocess
import sys
from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, make_url, text
from sqlmodel import Session, select

from app import migrate
from app.db import make_engine, metadata
from app.models import (
    Article,
    ArticleAuthor,
    ArticleTag,
    Author,
    Deletion,
    DeletionTag,
    Event,
    Photo,
    Section,
    Tag,
)
from app.search.index import include_object
from tests.conftest import TEST_DATABASE_URL, fresh_database


def _scratch_url(tmp_path) -> str:
    url = make_url(TEST_DATABASE_URL)
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///{tmp_path / 'migrations.db'}"
    return fresh_database(url.set(database=f"{url.database}_migrations").render_as_string(False))


def test_upgrade_matches_models_and_downgrade_empties(tmp_path):
    url = _scratch_url(tmp_path)
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "include_object": include_object}
            )
            assert compare_metadata(context, metadata) == []
            assert migrate.current_revision(conn) == migrate.head_revision()
        migrate.downgrade(url)
        assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    finally:
        engine.dispose()


def test_earlier_article_tombstones_recover_their_story_from_the_deleted_event(tmp_path):
    url = _scratch_url(tmp_path)
    migrate.upgrade(url, "16ac7dba537a")  # before tombstones kept the story
    engine = make_engine(url)
    story = {
        "status": "published",
        "published_at": "2026-11-30T09:00:00Z",
        "first_published_at": "2026-11-30T09:00:00Z",
        "embargo_until": "2026-12-30T09:00:00Z",
        "section": "ours",
        "tags": ["scoop", "gone"],
    }
    try:
        with Session(engine) as session:
            # Tables this revision leaves as they were, written through their models.
            session.add(Section(id="sec_1", slug="ours", name="Ours"))
            session.add(Tag(id="tag_1", slug="scoop", name="Scoop"))
            session.add(
                Event(
                    id="evt_1",
                    type="article.deleted",
                    subject_type="article",
                    subject_id="art_1",
                    data={"article": story},
                )
            )
            session.commit()
        with engine.begin() as conn:
            for resource_id in ("art_1", "art_2"):
                conn.execute(
                    text(
                        "INSERT INTO deletion (resource_type, resource_id, deleted_at, public)"
                        " VALUES ('article', :id, :t, false)"
                    ),
                    {"id": resource_id, "t": "2026-12-01 00:00:00"},
                )
        migrate.upgrade(url)
        with Session(engine) as session:
            recovered = session.get(Deletion, ("article", "art_1"))
            assert (recovered.status, recovered.section_id, recovered.section_slug) == (
                "published",
                "sec_1",
                "ours",
            )
            assert recovered.embargo_until == datetime(2026, 12, 30, 9, tzinfo=UTC)
            assert recovered.first_published_at == datetime(2026, 11, 30, 9, tzinfo=UTC)
            tags = session.exec(select(DeletionTag.tag_slug, DeletionTag.tag_id)).all()
            assert sorted(tags) == [("gone", None), ("scoop", "tag_1")]
            # Without its event a tombstone keeps nulls: `public` alone decides, as before.
            unknown = session.get(Deletion, ("article", "art_2"))
            assert (unknown.status, unknown.first_published_at) == (None, None)
    finally:
        engine.dispose()


def test_uploaded_photos_kept_with_urls_keep_paths_after_the_upgrade(tmp_path):
    url = _scratch_url(tmp_path)
    migrate.upgrade(url, "00c5d002283d")  # before photos kept paths in the media store
    engine = make_engine(url)
    frozen = "http://10.0.0.7:8000/media/pho_1"
    try:
        with Session(engine) as session:
            session.add(
                Photo(
                    id="pho_1",
                    url=f"{frozen}/original.jpg",
                    storage_key="pho_1",
                    renditions=[{"width": 320, "height": 213, "url": f"{frozen}/320.jpg"}],
                )
            )
            session.add(Photo(id="pho_2", url="https://agency.example/a.jpg"))  # linked
            session.commit()
        migrate.upgrade(url)
        with Session(engine) as session:
            uploaded, linked = session.get(Photo, "pho_1"), session.get(Photo, "pho_2")
            assert uploaded.url == "pho_1/original.jpg"
            assert uploaded.renditions == [{"width": 320, "height": 213, "url": "pho_1/320.jpg"}]
            assert linked.url == "https://agency.example/a.jpg"
    finally:
        engine.dispose()


def test_hosts_migrating_at_once_all_succeed(tmp_path):
    # Several hosts run `byline migrate` as they start: none fails, and the schema is whole.
    url = _scratch_url(tmp_path)
    code = f"from app import migrate; migrate.upgrade({url!r})"
    runs = [
        subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    errors = [run.communicate(timeout=600)[1] for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], errors
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert migrate.current_revision(conn) == migrate.head_revision()
    finally:
        engine.dispose()


def test_links_get_their_article_time_when_the_column_is_added(tmp_path):
    url = _scratch_url(tmp_path)
    migrate.upgrade(url, "5b1e7c3a9d20")  # before links kept their article's time
    engine = make_engine(url)
    at = datetime(2026, 11, 30, 9, tzinfo=UTC)
    try:
        with Session(engine) as session:
            session.add(Tag(id="tag_1", slug="scoop", name="Scoop"))
            session.add(Author(id="aut_1", slug="desk", name="Desk"))
            session.add(Article(id="art_1", slug="one", headline="One", published_at=at))
            session.add(Article(id="art_2", slug="two", headline="Two"))  # a draft
            session.commit()
        with engine.begin() as conn:
            for article_id in ("art_1", "art_2"):
                conn.execute(
                    text(
                        "INSERT INTO article_tag (article_id, tag_id, position)"
                        " VALUES (:a, 'tag_1', 0)"
                    ),
                    {"a": article_id},
                )
                conn.execute(
                    text(
                        "INSERT INTO article_author (article_id, author_id, position, role)"
                        " VALUES (:a, 'aut_1', 0, 'author')"
                    ),
                    {"a": article_id},
                )
        migrate.upgrade(url)
        with Session(engine) as session:
            for link in (ArticleTag, ArticleAuthor):
                times = dict(session.exec(select(link.article_id, link.published_at)).all())
                assert times == {"art_1": at, "art_2": None}
    finally:
        engine.dispose()
