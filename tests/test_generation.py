"""The content generation, as every worker reads it on every cacheable request."""

import os
import subprocess
import sys

import pytest
from sqlalchemy import make_url

from app import generation
from app.config import get_settings

ON_SQLITE = make_url(get_settings().resolved_database_url).get_backend_name() == "sqlite"

BUMP_ELSEWHERE = (
    "from sqlmodel import Session; from app.db import get_engine; from app.generation import bump;"
    "s = Session(get_engine()); bump(s); s.commit()"
)


def test_a_bump_in_another_process_is_read_at_once(session):
    before = generation._reader.read().generation
    subprocess.run([sys.executable, "-c", BUMP_ELSEWHERE], check=True, env=os.environ)
    # No wait: the other process told this host (SQLite: the stamp; else the row is read).
    assert generation._reader.read().generation == before + 1


@pytest.mark.skipif(not ON_SQLITE, reason="PostgreSQL workers hear of bumps by LISTEN/NOTIFY")
def test_an_unmoved_stamp_costs_no_statement(session, monkeypatch):
    generation._reader.read()
    statements: list[str] = []
    generation._reader._raw.driver_connection.set_trace_callback(statements.append)
    try:
        monkeypatch.setattr(generation._StateReader, "TRUST_SECONDS", 3600.0)
        first = generation._reader.read()
        assert generation._reader.read() is first
        assert statements == []
        generation._stamp.touch()  # what a commit that bumps does after it commits
        generation._reader.read()
        assert len(statements) == 1 and "content_state" in statements[0]
        monkeypatch.setattr(generation._StateReader, "TRUST_SECONDS", 0.0)
        generation._reader.read()  # the stamp is trusted only so long
        assert len(statements) == 2
    finally:
        generation._reader._raw.driver_connection.set_trace_callback(None)


def test_the_next_transition_is_the_earliest_future_time_of_any_kind(session):
    from datetime import timedelta

    from app.db import utcnow
    from app.models import ArticleStatus
    from tests.factories import make_article, make_feed_entry

    now = utcnow().replace(microsecond=0)
    make_article(session, status=ArticleStatus.published, published_at=now - timedelta(days=1))
    assert generation._reader.read().next_transition_at is None  # nothing ahead
    make_article(session, status=ArticleStatus.scheduled, published_at=now + timedelta(hours=3))
    assert generation._reader.read().next_transition_at == now + timedelta(hours=3)
    make_article(
        session, published_at=now - timedelta(hours=1), embargo_until=now + timedelta(hours=2)
    )
    assert generation._reader.read().next_transition_at == now + timedelta(hours=2)
    entry = make_feed_entry(session, published_at=now + timedelta(hours=1))
    assert generation._reader.read().next_transition_at == now + timedelta(hours=1)
    session.delete(entry)
    session.commit()
    assert generation._reader.read().next_transition_at == now + timedelta(hours=2)
