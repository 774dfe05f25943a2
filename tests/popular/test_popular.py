"""Most read: the view beacon, hourly buckets upserted in place, windows, visibility,
the beacon's own rate limit, and a popular list that is never stale for long."""

import os
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.db import utcnow
from app.models import ArticleStatus, ArticleViewHour
from app.popular.service import add_views, hour_of
from app.popular.views import counter
from tests.factories import make_article, make_key, make_section

pytestmark = pytest.mark.anyio

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "")


async def _view(client, ref: str, times: int = 1, **headers: str) -> list[int]:
    return [
        (await client.post(f"/v1/articles/{ref}/views", headers=headers)).status_code
        for _ in range(times)
    ]


def _rows(session) -> list[tuple[str, int]]:
    session.expire_all()
    return list(session.execute(select(ArticleViewHour.article_id, ArticleViewHour.views)))


async def test_a_view_is_a_204_without_a_key_or_a_body(session, client):
    article = make_article(session)
    response = await client.post(f"/v1/articles/{article.slug}/views")
    assert response.status_code == 204
    assert response.content == b""
    assert response.headers["cache-control"] == "no-store"
    assert '"views";q=' in response.headers["ratelimit-policy"]


async def test_many_views_make_one_row_per_article_and_hour(session, client):
    article = make_article(session)
    assert await _view(client, article.id, 5) == [204] * 5
    counter.flush()
    assert _rows(session) == [(article.id, 5)]
    await _view(client, article.slug, 3)
    counter.flush()
    assert _rows(session) == [(article.id, 8)]  # counted up in place: still one row


def test_counts_are_upserted_into_the_hour_bucket(session):
    article = make_article(session)
    hour = hour_of(utcnow())
    for n in (2, 3):
        add_views(session, counts={(article.id, hour): n})
        session.commit()
    assert _rows(session) == [(article.id, 5)]
    assert session.scalar(select(func.count()).select_from(ArticleViewHour)) == 1


def test_views_of_a_deleted_article_are_dropped_not_an_error(session):
    add_views(session, counts={("art_gone", hour_of(utcnow())): 4})
    session.commit()
    assert _rows(session) == []


async def test_a_view_does_not_change_the_content_generation(session, client):
    from app.generation import current_state

    article = make_article(session)
    before = current_state().generation
    await _view(client, article.id, 3)
    counter.flush()
    assert current_state().generation == before


@pytest.fixture
def viewed(session):
    """Three stories read at different times: now, 5 hours ago, 3 days ago."""
    now = utcnow()
    fresh, day, week = make_article(session), make_article(session), make_article(session)
    add_views(
        session,
        counts={
            (fresh.id, hour_of(now)): 3,
            (day.id, hour_of(now - timedelta(hours=5))): 10,
            (week.id, hour_of(now - timedelta(days=3))): 50,
            (week.id, hour_of(now - timedelta(days=30))): 1000,  # out of every window
        },
    )
    session.commit()
    return {"fresh": fresh, "day": day, "week": week}


@pytest.mark.parametrize(
    "window, expected",
    [
        ("1h", [("fresh", 3)]),
        ("24h", [("day", 10), ("fresh", 3)]),
        ("7d", [("week", 50), ("day", 10), ("fresh", 3)]),
    ],
)
async def test_popular_ranks_by_views_in_the_window(viewed, client, window, expected):
    body = (await client.get(f"/v1/popular?window={window}")).json()
    ids = {a.id: name for name, a in viewed.items()}
    assert [(ids[i["id"]], i["views"]) for i in body["data"]] == expected
    assert body["meta"] == {"next_cursor": None, "limit": 10}


async def test_the_current_hour_counts_before_it_ends(session, client):
    article = make_article(session)
    await _view(client, article.id, 2)
    counter.flush()  # what the timer does about once a second
    [item] = (await client.get("/v1/popular?window=1h")).json()["data"]
    assert (item["id"], item["views"]) == (article.id, 2)


async def test_popular_items_are_article_summaries_with_embeds(viewed, client):
    body = (await client.get("/v1/popular?window=7d&limit=2&include=authors")).json()
    assert len(body["data"]) == 2
    item = body["data"][0]
    assert {"headline", "slug", "section", "authors", "views"} <= item.keys()
    assert "body" not in item
    sparse = (await client.get("/v1/popular?window=7d&fields=headline")).json()["data"][0]
    assert set(sparse) == {"id", "headline", "views"}


@pytest.mark.parametrize("query", ["window=2h", "limit=0", "limit=51", "include=comments", "x=1"])
async def test_bad_popular_parameters_are_a_400(session, client, query):
    response = await client.get(f"/v1/popular?{query}")
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


@pytest.fixture
def hidden(session):
    later = utcnow() + timedelta(days=1)
    return {
        "draft": make_article(session, status=ArticleStatus.draft, published_at=None),
        "scheduled": make_article(session, status=ArticleStatus.scheduled, published_at=later),
        "embargoed": make_article(session, embargo_until=later),
        "unpublished": make_article(session, status=ArticleStatus.unpublished),
    }


async def test_hidden_articles_cannot_be_viewed(hidden, session, client):
    for article in hidden.values():
        assert await _view(client, article.id) == [404]
        assert await _view(client, article.slug) == [404]
    # Not even by an editor's preview key: a preview is not a read.
    preview = make_key(session, "content:preview")
    assert await _view(client, hidden["draft"].id, **{"X-API-Key": preview}) == [404]
    assert await _view(client, "no-such-story") == [404]
    counter.flush()
    assert _rows(session) == []


async def test_hidden_articles_never_appear_in_popular(hidden, session, client):
    visible = make_article(session)
    hour = hour_of(utcnow())
    add_views(session, counts={(a.id, hour): 100 for a in [*hidden.values(), visible]})
    session.commit()
    preview = make_key(session, "content:preview")
    for headers in ({}, {"X-API-Key": preview}):
        body = (await client.get("/v1/popular?window=24h", headers=headers)).json()
        assert [i["id"] for i in body["data"]] == [visible.id]


async def test_a_partner_views_and_ranks_only_its_sections(session, client):
    ours, theirs = make_section(session, slug="ours"), make_section(session, slug="theirs")
    allowed = make_article(session, section_id=ours.id)
    other = make_article(session, section_id=theirs.id)
    partner = {"X-API-Key": make_key(session, "partner", sections=["ours"])}
    assert await _view(client, other.id, **partner) == [404]
    assert await _view(client, allowed.id, **partner) == [204]
    await _view(client, other.id)  # a reader's view of the other story counts
    counter.flush()
    body = (await client.get("/v1/popular", headers=partner)).json()
    assert [i["id"] for i in body["data"]] == [allowed.id]
    public = (await client.get("/v1/popular")).json()
    assert {i["id"] for i in public["data"]} == {allowed.id, other.id}


async def test_without_anonymous_reads_a_view_needs_a_key(session, settings_env, fresh_client):
    settings_env(ALLOW_ANONYMOUS_READS="false")
    article = make_article(session)
    client = fresh_client()
    assert await _view(client, article.id) == [401]
    key = make_key(session, "content:read")
    assert await _view(client, article.id, **{"X-API-Key": key}) == [204]


async def test_the_beacon_has_its_own_tighter_limit_per_address(
    session, settings_env, fresh_client
):
    settings_env(RATE_LIMIT_VIEWS=3, RATE_LIMIT_ANONYMOUS=100)
    article = make_article(session)
    client = fresh_client()
    assert await _view(client, article.id, 3) == [204, 204, 204]
    over = await client.post(f"/v1/articles/{article.id}/views")
    assert over.status_code == 429
    assert over.headers["content-type"] == "application/problem+json"
    assert 1 <= int(over.headers["retry-after"]) <= 60
    assert over.json()["status"] == 429
    assert '"views";q=3;w=60' in over.headers["ratelimit-policy"]
    # Reads are limited apart: still allowed.
    assert (await client.get(f"/v1/articles/{article.id}")).status_code == 200
    counter.flush()
    assert _rows(session) == [(article.id, 3)]


@pytest.mark.skipif(not TEST_REDIS_URL, reason="TEST_REDIS_URL is not set")
async def test_two_apps_share_the_beacon_limit_through_redis(session, settings_env, fresh_client):
    import redis

    redis.Redis.from_url(TEST_REDIS_URL).flushdb()
    settings_env(REDIS_URL=TEST_REDIS_URL, RATE_LIMIT_VIEWS=2, RATE_LIMIT_ANONYMOUS=100)
    article = make_article(session)
    one, two = fresh_client(), fresh_client()
    statuses = [(await _view(c, article.id))[0] for c in (one, two, one)]
    assert statuses == [204, 204, 429]
    redis.Redis.from_url(TEST_REDIS_URL).flushdb()


def _popular_max_age(monkeypatch, seconds: int) -> None:
    """The route's declared `max_age`, changed for one test."""
    from app.main import app

    table = app.policies
    entries = [
        (route, replace(policy, max_age=seconds) if policy.path == "/v1/popular" else policy)
        for route, policy in table.entries
    ]
    monkeypatch.setattr(table, "entries", entries)
    monkeypatch.setattr(table, "_remembered", {})


async def test_popular_is_cached_briefly_not_until_the_next_edit(session, client, monkeypatch):
    article = make_article(session)
    _popular_max_age(monkeypatch, 3600)
    first = await client.get("/v1/popular?window=1h")
    assert first.headers["cache-control"] == "public, max-age=3600, stale-while-revalidate=3600"
    assert first.json()["data"] == []
    await _view(client, article.id)
    counter.flush()
    # Within the period the kept answer is served: no content write has happened.
    again = await client.get("/v1/popular?window=1h")
    assert again.headers["x-cache"] == "HIT" and again.json()["data"] == []
    # A new period is a new key: the views show without any content write.
    _popular_max_age(monkeypatch, 1)
    fresh = await client.get("/v1/popular?window=1h")
    assert fresh.headers["cache-control"] == "public, max-age=1, stale-while-revalidate=1"
    assert [i["views"] for i in fresh.json()["data"]] == [1]
    assert fresh.headers["etag"] != first.headers["etag"]
    assert "last-modified" in fresh.headers


async def test_an_unchanged_popular_list_revalidates_with_304(session, client):
    first = await client.get("/v1/popular?window=7d")
    again = await client.get(
        "/v1/popular?window=7d", headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304


async def test_counted_views_are_written_on_shutdown(session, settings_env):
    from app.main import create_app

    settings_env(VIEWS_FLUSH_SECONDS=3600)
    article = make_article(session)
    counter.add(article.id)
    counter.add(article.id)
    assert _rows(session) == []  # buffered (the timer has an hour to go)
    app = create_app()
    async with app.router.lifespan_context(app):
        pass
    assert _rows(session) == [(article.id, 2)]
