"""Alembic environment: Byline's models, SQLite-friendly batch mode, types compared."""

from alembic import context
from sqlalchemy import Connection, text

import app.models  # noqa: F401  (registers every table on the metadata)
from app.config import get_settings
from app.db import UTCDateTime, make_engine, metadata
from app.search.index import include_object

config = context.config


def _url() -> str:
    # Set by app.migrate (and the tests); the alembic command line uses the settings.
    return config.attributes.get("url") or get_settings().resolved_database_url


def render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    # Migrations must not import app code: a UTC datetime is a timezone-aware DateTime.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(**kwargs: object) -> None:
    context.configure(
        target_metadata=metadata,
        compare_type=True,
        render_item=render_item,
        # The search index (FTS5 tables, the tsvector column) is the database's own.
        include_object=include_object,
        **kwargs,
    )


def run_migrations_offline() -> None:
    _configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


# Any number of processes may run `byline migrate` at once: each first takes a lock held
# until its transaction ends, so one migrates and the others then find nothing to do.
MIGRATION_LOCK = 0x6279_6C69_6E65  # "byline"


def _lock(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
    elif connection.dialect.name == "sqlite":
        # The database's write lock, taken now rather than at the first write; waiting
        # for another migration may take longer than a request's busy timeout.
        connection.exec_driver_sql("PRAGMA busy_timeout=300000")
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _migrate(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    # SQLite's DDL is transactional too: the whole upgrade is one transaction, as on PostgreSQL.
    _configure(connection=connection, render_as_batch=sqlite, transactional_ddl=True)
    with context.begin_transaction():
        _lock(connection)
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    # The app's own engine factory: it creates the SQLite directory and sets its pragmas.
    engine = make_engine(_url())
    try:
        with engine.connect() as connection:
            _migrate(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
