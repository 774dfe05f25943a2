"""Migrations build exactly the models' schema on the test's database kind, and undo cleanly."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, make_url

from app import migrate
from app.db import make_engine, metadata
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
