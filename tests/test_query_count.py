"""Lists cost a fixed number of SQL statements, whatever the page size."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from app.apikeys import LastUse
from tests.factories import make_article, make_author, make_photo, make_related, make_tag

pytestmark = pytest.mark.anyio


@contextmanager
def count_statements(engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        # Not the requests' own: a key's last use, flushed on its own thread.
        if threading.current_thread().name != LastUse.THREAD:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def test_list_with_every_include_does_not_query_per_row(engine, session, client):
    author = make_author(session)
    other = make_author(session)
    tag = make_tag(session)
    target = make_article(session, authors=[other])
    for _ in range(12):
        article = make_article(
            session, authors=[author, other], tags=[tag], lead_photo_id=make_photo(session).id
        )
        make_related(session, article, target_article_id=target.id)
        make_related(session, article, url="https://example.org", title="Elsewhere")

    url = "/v1/articles?include=authors,tags,lead_photo,related,body&limit={}"
    counts = {}
    for limit in (2, 12):
        with count_statements(engine) as statements:
            response = await client.get(url.format(limit))
        assert response.status_code == 200
        assert len(response.json()["data"]) == limit
        counts[limit] = len(statements)
    assert counts[2] == counts[12]
    assert counts[12] <= 10
