"""`order=relevance` ranks a window of the most recently updated matches, then lists the
older ones in updated order, each match once, behind a cursor of its own form."""

import base64
from datetime import timedelta

import orjson
import pytest

from app.articles import service
from tests.factories import BASE, make_article

pytestmark = pytest.mark.anyio


def _order_of(cursor: str) -> str:
    return orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))[0]


@pytest.fixture(params=["sorted", "walked"])
def harvest(request, session, monkeypatch):
    """Seven stories mentioning `harvest` one to seven times, updated in an order that is
    not their relevance, and one story without it. The window's edge is found both ways:
    on PostgreSQL few matches are sorted, unless there may be none to sort (then, and
    always on SQLite, the update index is walked)."""
    monkeypatch.setattr(service, "RANK_WINDOW", 3)
    if request.param == "walked":
        monkeypatch.setattr(service, "SORT_AT_MOST", 0)
    stories = []
    for n, mentions in enumerate([2, 7, 1, 5, 3, 6, 4]):
        updated = BASE + timedelta(hours=n)
        stories.append(
            make_article(
                session,
                slug=f"harvest-{n}",
                headline=f"Farm report {n}",
                paragraphs=[" ".join(["harvest"] * mentions) + " and the weather."],
                updated_at=updated,
            )
        )
    make_article(session, slug="weather", headline="Weather", paragraphs=["Rain."])
    return stories


async def _walk(client, url: str) -> tuple[list[str], list[str]]:
    slugs, orders, cursor = [], [], None
    while True:
        response = await client.get(url + (f"&cursor={cursor}" if cursor else ""))
        assert response.status_code == 200, response.text
        body = response.json()
        slugs += [item["slug"] for item in body["data"]]
        cursor = body["meta"]["next_cursor"]
        if cursor is None:
            return slugs, orders
        orders.append(_order_of(cursor).split(":")[0])


async def test_the_newest_matches_are_ranked_then_the_rest_follow_by_update(harvest, client):
    slugs, orders = await _walk(client, "/v1/articles?q=harvest&limit=2")
    # Window: the three most recently updated (6, 5, 4: six, three and four mentions),
    # best first; then 3, 2, 1, 0 by update time, whatever their scores.
    assert slugs == [
        "harvest-5",
        "harvest-6",
        "harvest-4",
        "harvest-3",
        "harvest-2",
        "harvest-1",
        "harvest-0",
    ]
    assert orders == ["relevance", "relevance-rest", "relevance-rest"]


async def test_a_window_holding_every_match_ranks_them_all(harvest, client, monkeypatch):
    monkeypatch.setattr(service, "RANK_WINDOW", 7)
    slugs, orders = await _walk(client, "/v1/articles?q=harvest&limit=3")
    by_mentions = ["harvest-1", "harvest-5", "harvest-3", "harvest-6", "harvest-4"]
    assert slugs == [*by_mentions, "harvest-0", "harvest-2"]
    assert set(orders) == {"relevance"}


async def test_the_window_ends_on_a_page_boundary_with_a_rest_cursor(harvest, client):
    first = (await client.get("/v1/articles?q=harvest&limit=3")).json()
    assert [i["slug"] for i in first["data"]] == ["harvest-5", "harvest-6", "harvest-4"]
    assert _order_of(first["meta"]["next_cursor"]).startswith("relevance-rest:")
    rest = await client.get(f"/v1/articles?q=harvest&limit=3&cursor={first['meta']['next_cursor']}")
    assert [i["slug"] for i in rest.json()["data"]] == ["harvest-3", "harvest-2", "harvest-1"]


async def test_a_rest_cursor_only_continues_its_own_query(harvest, client):
    cursor = (await client.get("/v1/articles?q=harvest&limit=3")).json()["meta"]["next_cursor"]
    other = await client.get(f"/v1/articles?q=weather&limit=3&cursor={cursor}")
    assert other.status_code == 400
    assert other.json()["errors"][0]["field"] == "cursor"


async def test_the_total_counts_every_match_not_the_window(harvest, client):
    body = (await client.get("/v1/articles?q=harvest&limit=2&count=exact")).json()
    assert body["meta"]["total"] == 7
