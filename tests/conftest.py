"""One real database for the whole run: SQLite by default, PostgreSQL with TEST_DATABASE_URL."""

import os
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

_TMP = Path(tempfile.mkdtemp(prefix="byline-tests-"))
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{_TMP / 'test.db'}"
# The app reads its settings from the environment: point it at the test database first.
os.environ["DATABASE_URL"] = TEST_DATABASE_URL
os.environ["DATA_DIR"] = str(_TMP)
os.environ["PUBLIC_URL"] = ""
# Tests that are not about limits or key caching must not trip over them.
for name, value in {
    "RATE_LIMIT_ANONYMOUS": "100000",
    "RATE_LIMIT_KEY": "100000",
    "RATE_LIMIT_PARTNER": "100000",
    "RATE_LIMIT_ADMIN": "100000",
    "RATE_LIMIT_VIEWS": "100000",
    "KEY_CACHE_SECONDS": "0",
    "REDIS_URL": "",
    "SECRET_KEY": "test-signing-key",
    "ALLOW_ANONYMOUS_READS": "true",
    # An answer that is not its documented shape fails the test that asked for it.
    "RESPONSE_VALIDATION": "strict",
    # The access log's own tests turn it on; elsewhere it would only fill the output.
    "ACCESS_LOG": "false",
}.items():
    os.environ[name] = value

import httpx  # noqa: E402
from sqlalchemy import Engine, make_url, text, update  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app import migrate  # noqa: E402
from app.config import get_settings  # noqa: E402
from app.db import get_engine, make_engine, metadata  # noqa: E402
from app.generation import bump  # noqa: E402
from app.models import ContentState  # noqa: E402
from tests import contract  # noqa: E402

get_settings.cache_clear()
get_engine.cache_clear()

# Every answer a test client receives is checked against the committed OpenAPI document.
CHECKED = {"response": [contract.check]}


def is_postgres() -> bool:
    return TEST_DATABASE_URL.startswith("postgres")


def fresh_database(url: str) -> str:
    """An empty database at `url` (created or wiped); returns the SQLAlchemy URL to use."""
    resolved = make_url(url)
    if resolved.get_backend_name() == "sqlite":
        Path(resolved.database or "").unlink(missing_ok=True)
        return url
    if resolved.drivername in ("postgres", "postgresql"):
        resolved = resolved.set(drivername="postgresql+psycopg")
    admin = make_engine(
        resolved.set(database="postgres").render_as_string(hide_password=False)
    ).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d"),
            {"d": resolved.database},
        )
        conn.execute(text(f'DROP DATABASE IF EXISTS "{resolved.database}"'))
        conn.execute(text(f'CREATE DATABASE "{resolved.database}"'))
    admin.dispose()
    return resolved.render_as_string(hide_password=False)


@pytest.fixture
def anyio_backend() -> str:
    # Async tests (marked `anyio`) run on asyncio, as uvicorn does.
    return "asyncio"


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    url = fresh_database(TEST_DATABASE_URL)
    os.environ["DATABASE_URL"] = url
    get_settings.cache_clear()
    get_engine.cache_clear()
    migrate.upgrade(url)
    engine = get_engine()
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on the test database; every table is emptied after the test."""
    with Session(engine, expire_on_commit=False) as session:
        yield session
    empty_tables(engine)


def empty_tables(engine: Engine) -> None:
    """Delete every row a test wrote; what every worker cached of it is stale after."""
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            if table.name != "content_state":
                conn.execute(table.delete())
    with Session(engine) as cleanup:
        bump(cleanup)  # what every worker cached of this test's content is stale now
        # The next test starts from content that never lost anything.
        cleanup.execute(update(ContentState).values(removed_at=None))
        cleanup.commit()


@pytest.fixture
def demo(session: Session) -> Session:
    """The reference page's content, loaded as `byline demo` loads it."""
    from app.demo.seed import load_reference

    load_reference(session)
    return session


@pytest.fixture
async def client(session: Session) -> AsyncIterator[httpx.AsyncClient]:
    from app.main import app

    app.forget()  # earlier tests' renderings of the same paths say nothing of this one's
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://byline.test", event_hooks=CHECKED
    ) as client:
        yield client


@pytest.fixture
def settings_env() -> Iterator[Callable[..., None]]:
    """Change settings for one test: `settings_env(RATE_LIMIT_ANONYMOUS=3)`."""
    saved = dict(os.environ)

    def apply(**values: object) -> None:
        for name, value in values.items():
            os.environ[name.upper()] = str(value)
        get_settings.cache_clear()

    yield apply
    os.environ.clear()
    os.environ.update(saved)
    get_settings.cache_clear()


@pytest.fixture
async def fresh_client(session: Session) -> AsyncIterator[Callable[[], httpx.AsyncClient]]:
    """Clients on a new application built from the settings as they are now."""
    from app.main import create_service

    clients: list[httpx.AsyncClient] = []

    def make() -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=create_service(), raise_app_exceptions=False)
        client = httpx.AsyncClient(
            transport=transport, base_url="http://byline.test", event_hooks=CHECKED
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()
