"""`meta.total`: `count=exact` up to a cap and a clear refusal above it, `count=estimate`
exact for short lists and the planner's estimate for long ones."""

import pytest

from app import pagination
from tests.factories import make_article, make_tag

pytestmark = pytest.mark.anyio


async def test_exact_count_of_a_filtered_list(session, client):
    tag = make_tag(session)
    for _ in range(3):
        make_article(session, tags=[tag])
    make_article(session)
    body = (await client.get(f"/v1/articles?tag={tag.slug}&count=exact&limit=1")).json()
    assert body["meta"]["total"] == 3


async def test_exact_count_of_a_list_at_the_cap_is_given(session, client, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_LIMIT", 3)
    for _ in range(3):
        make_article(session)
    body = (await client.get("/v1/articles?count=exact")).json()
    assert body["meta"]["total"] == 3


@pytest.mark.parametrize("query", ["", "&q=story"])
async def test_exact_count_above_the_cap_is_refused_pointing_at_the_estimate(
    session, client, monkeypatch, query
):
    monkeypatch.setattr(pagination, "COUNT_LIMIT", 3)
    for _ in range(4):
        make_article(session)
    response = await client.get(f"/v1/articles?count=exact{query}")
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "/problems/count-too-large"
    assert body["title"] == "Too many to count"
    assert "count=estimate" in body["detail"]
    assert [e["field"] for e in body["errors"]] == ["count"]


async def test_estimate_answers_where_the_exact_count_is_refused(session, client, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_LIMIT", 3)
    for _ in range(4):
        make_article(session)
    response = await client.get("/v1/articles?count=estimate")
    assert response.status_code == 200
    assert response.json()["meta"]["total"] == 4  # short lists are counted exactly


async def test_estimate_of_a_long_list_is_never_below_what_was_counted(
    session, client, monkeypatch
):
    monkeypatch.setattr(pagination, "ESTIMATE_EXACT_UP_TO", 2)
    for _ in range(5):
        make_article(session)
    total = (await client.get("/v1/articles?count=estimate")).json()["meta"]["total"]
    if session.get_bind().dialect.name == "sqlite":
        assert total == 5  # SQLite has no planner estimate: it counts
    else:
        assert type(total) is int and total >= 3  # the planner's, above what was counted
