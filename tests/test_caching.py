"""HTTP caching and the render cache: validators, 304s, invalidation, identical answers."""

from datetime import timedelta
from email.utils import format_datetime, parsedate_to_datetime

import anyio
import httpx
import pytest

from app.db import utcnow
from app.models import ArticleStatus
from tests.factories import make_article, make_author, make_key, make_section, make_tag
from tests.servers import checked_client, running_server

pytestmark = pytest.mark.anyio

# Differ per request by design: the request id and the rate-limit counters.
PER_REQUEST = {"x-request-id", "x-cache", "ratelimit", "ratelimit-remaining", "ratelimit-reset"}


def comparable(response: httpx.Response) -> tuple[int, dict[str, str], bytes]:
    headers = {k: v for k, v in response.headers.items() if k not in PER_REQUEST}
    return response.status_code, headers, response.content


async def test_routed_and_cached_answers_are_identical(session, client):
    author = make_author(session)
    article = make_article(session, authors=[author], tags=[make_tag(session)])
    for url in (f"/v1/articles/{article.slug}", "/v1/articles?include=authors,tags", "/v1/feed"):
        first = await client.get(url)
        second = await client.get(url)
        assert (first.headers["x-cache"], second.headers["x-cache"]) == ("MISS", "HIT")
        assert comparable(first) == comparable(second)


async def test_strong_etag_and_304_on_if_none_match(session, client):
    article = make_article(session)
    first = await client.get(f"/v1/articles/{article.id}")
    etag = first.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    again = await client.get(f"/v1/articles/{article.id}", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert again.headers["cache-control"].startswith("public")


async def test_304_on_a_cold_cache_too(session, client, fresh_client):
    article = make_article(session)
    etag = (await client.get(f"/v1/articles/{article.id}")).headers["etag"]
    # Another worker, with nothing cached yet, answers the same validator the same way.
    response = await fresh_client().get(
        f"/v1/articles/{article.id}", headers={"If-None-Match": etag}
    )
    assert response.status_code == 304
    assert response.headers["x-cache"] == "MISS"


async def test_304_on_if_modified_since(session, client):
    article = make_article(session)
    first = await client.get(f"/v1/articles/{article.id}")
    since = first.headers["last-modified"]
    again = await client.get(f"/v1/articles/{article.id}", headers={"If-Modified-Since": since})
    assert again.status_code == 304
    # A copy from before the story's last change is out of date.
    changed = parsedate_to_datetime(since)
    earlier = format_datetime(changed - timedelta(days=1), usegmt=True)
    older = await client.get(f"/v1/articles/{article.id}", headers={"If-Modified-Since": earlier})
    assert older.status_code == 200


async def test_etag_changes_when_the_article_is_edited(session, client):
    article = make_article(session)
    before = await client.get(f"/v1/articles/{article.id}")
    article.headline = "Edited"
    session.add(article)
    session.commit()
    after = await client.get(
        f"/v1/articles/{article.id}", headers={"If-None-Match": before.headers["etag"]}
    )
    assert after.status_code == 200
    assert after.json()["data"]["headline"] == "Edited"
    assert after.headers["etag"] != before.headers["etag"]


async def test_unrelated_write_keeps_the_etag(session, client):
    article = make_article(session)
    before = await client.get(f"/v1/articles/{article.id}")
    make_tag(session)
    after = await client.get(
        f"/v1/articles/{article.id}", headers={"If-None-Match": before.headers["etag"]}
    )
    assert after.status_code == 304


async def test_surrogate_keys_name_every_object_shown(session, client):
    section = make_section(session, slug="world")
    author = make_author(session)
    tag = make_tag(session, slug="war")
    article = make_article(session, section_id=section.id, authors=[author], tags=[tag])
    detail = await client.get(f"/v1/articles/{article.id}")
    assert set(detail.headers["surrogate-key"].split()) == {
        f"article:{article.id}",
        "section:world",
        f"author:{author.id}",
        "tag:war",
    }
    # A list names what it was drawn from, not each item (see tests/test_surrogate.py).
    listed = await client.get("/v1/articles")
    assert set(listed.headers["surrogate-key"].split()) == {"articles", "article-lists"}


async def test_cache_control_per_kind_of_reader(session, client):
    draft = make_article(session, status=ArticleStatus.draft, published_at=None)
    make_section(session, slug="ours")
    partner = make_key(session, "partner", sections=["ours"])
    preview = make_key(session, "content:preview")
    public = await client.get("/v1/articles")
    assert public.headers["cache-control"] == "public, max-age=60, stale-while-revalidate=300"
    partnered = await client.get("/v1/articles", headers={"X-API-Key": partner})
    assert partnered.headers["cache-control"].startswith("private")
    previewed = await client.get(f"/v1/articles/{draft.id}", headers={"X-API-Key": preview})
    assert previewed.headers["cache-control"] == "private, no-store"
    assert "x-cache" not in previewed.headers  # never kept
    # ...but it names its version, for an editor's If-Match.
    assert previewed.headers["etag"].startswith(f'"{draft.version}-')
    missing = await client.get("/v1/articles/none")
    assert missing.headers["cache-control"] == "no-store"


async def test_partner_and_public_answers_are_kept_apart(session, client):
    ours = make_section(session, slug="ours")
    theirs = make_section(session, slug="theirs")
    make_article(session, section_id=ours.id)
    make_article(session, section_id=theirs.id)
    partner = make_key(session, "partner", sections=["ours"])
    assert len((await client.get("/v1/articles")).json()["data"]) == 2
    assert (
        len((await client.get("/v1/articles", headers={"X-API-Key": partner})).json()["data"]) == 1
    )
    assert len((await client.get("/v1/articles")).json()["data"]) == 2


async def test_gzip_when_accepted(session, client):
    make_article(session, paragraphs=["A long paragraph of text. " * 200])
    url = "/v1/articles?include=body"
    plain = await client.get(url, headers={"Accept-Encoding": "identity"})
    zipped = await client.get(url, headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in plain.headers
    assert zipped.headers["content-encoding"] == "gzip"
    assert int(zipped.headers["content-length"]) < int(plain.headers["content-length"])
    assert zipped.json() == plain.json()  # httpx decodes gzip
    assert "Accept-Encoding" in zipped.headers["vary"]


async def test_scheduled_story_appears_at_its_time_with_no_write(session, client):
    make_article(session)
    soon = make_article(
        session, status=ArticleStatus.scheduled, published_at=utcnow() + timedelta(seconds=1)
    )
    before = (await client.get("/v1/articles")).json()["data"]
    assert soon.id not in {a["id"] for a in before}
    await anyio.sleep(1.2)
    after = (await client.get("/v1/articles")).json()["data"]
    assert soon.id in {a["id"] for a in after}


def test_a_write_is_seen_by_every_server_process(session):
    article = make_article(session, headline="Before")
    url = f"/v1/articles/{article.id}"
    with running_server() as one, running_server() as two, checked_client() as http:
        for base in (one, two):
            assert http.get(base + url).json()["data"]["headline"] == "Before"
            assert http.get(base + url).headers["x-cache"] == "HIT"
        article.headline = "After"
        session.add(article)
        session.commit()
        for base in (one, two):
            assert _headline_within(base + url, seconds=1.0) == "After"


def _headline_within(url: str, *, seconds: float) -> str:
    """The headline served, polled until it is the new one or `seconds` pass: on
    PostgreSQL other workers learn of a commit by a notification, a millisecond later."""
    import time

    deadline = time.monotonic() + seconds
    while True:
        headline = httpx.get(url).json()["data"]["headline"]
        if headline == "After" or time.monotonic() > deadline:
            return headline
        time.sleep(0.01)


@pytest.fixture
def clean_redis():
    import redis

    from tests.test_ratelimit import TEST_REDIS_URL

    if not TEST_REDIS_URL:
        pytest.skip("TEST_REDIS_URL is not set")
    client = redis.Redis.from_url(TEST_REDIS_URL)
    client.flushdb()
    yield TEST_REDIS_URL
    client.flushdb()
    client.close()


async def test_a_page_rendered_by_one_worker_is_served_by_another_through_redis(
    session, settings_env, fresh_client, clean_redis
):
    settings_env(REDIS_URL=clean_redis)
    article = make_article(session, headline="Shared")
    one, two = fresh_client(), fresh_client()
    first = await one.get(f"/v1/articles/{article.id}")
    second = await two.get(f"/v1/articles/{article.id}")
    assert (first.headers["x-cache"], second.headers["x-cache"]) == ("MISS", "HIT")
    assert comparable(first) == comparable(second)
    zipped = await two.get(
        f"/v1/articles/{article.id}", headers={"If-None-Match": first.headers["etag"]}
    )
    assert zipped.status_code == 304


async def test_unreachable_redis_leaves_the_render_cache_in_process(
    session, settings_env, fresh_client
):
    settings_env(REDIS_URL="redis://127.0.0.1:1/0")
    article = make_article(session)
    client = fresh_client()
    statuses = [
        (await client.get(f"/v1/articles/{article.id}")).headers["x-cache"] for _ in range(2)
    ]
    assert statuses == ["MISS", "HIT"]


async def test_concurrent_misses_render_once(session, client, engine):
    import asyncio

    from sqlalchemy import event

    article = make_article(session)
    seen: list[str] = []

    def record(conn, cursor, statement, *args) -> None:
        if "FROM article" in statement and "content_state" not in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        answers = await asyncio.gather(
            *(client.get(f"/v1/articles/{article.id}") for _ in range(8))
        )
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert [a.status_code for a in answers] == [200] * 8
    assert sorted(a.headers["x-cache"] for a in answers) == ["HIT"] * 7 + ["MISS"]
    assert len({a.content for a in answers}) == 1
    # One render: the article read once, not once per request.
    assert sum("WHERE (article.id =" in s for s in seen) == 1


def test_clocked_answers_get_a_new_cache_key_each_period(monkeypatch):
    from app import cache
    from app.generation import State
    from app.main import app

    state = State(generation=7, changed_at=utcnow(), next_transition_at=None)
    scope = {"type": "http", "method": "GET", "path": "/v1/sitemaps/news.xml"}
    scope |= {"query_string": b"", "headers": []}
    policy = app.policies.match(scope)
    assert policy is not None and policy.max_age == 300
    monkeypatch.setattr(cache.time, "time", lambda: 999_900.0)
    first = cache.cache_key(scope, "public", state, policy)
    monkeypatch.setattr(cache.time, "time", lambda: 999_900.0 + 299)
    assert cache.cache_key(scope, "public", state, policy) == first
    monkeypatch.setattr(cache.time, "time", lambda: 999_900.0 + 301)
    assert cache.cache_key(scope, "public", state, policy) != first


def test_the_render_cache_lets_go_of_older_generations_and_stays_in_bounds():
    from app.cache import RenderCache, entry_from

    start = {"type": "http.response.start", "status": 200, "headers": []}

    def entry(body: bytes):
        return entry_from(start, body, utcnow(), [(b"cache-control", b"public")], 1)

    kept = RenderCache(64 * 1024)
    kept.put("7|public|/v1/articles/a||", entry(b"a" * 2000))
    kept.put("7|public|/v1/articles/b||", entry(b"b" * 2000))
    assert kept.get("7|public|/v1/articles/a||") is not None
    kept.put("8|public|/v1/articles/a||", entry(b"c" * 2000))
    assert kept.get("7|public|/v1/articles/a||") is None
    assert kept.get("7|public|/v1/articles/b||") is None
    assert kept.get("8|public|/v1/articles/a||") is not None
    assert kept.size == kept.get("8|public|/v1/articles/a||").size
    for i in range(100):
        kept.put(f"8|public|/v1/articles/{i}||", entry(bytes([i % 250]) * 3000))
    assert kept.size <= kept.max_bytes
    assert kept.get("8|public|/v1/articles/99||") is not None


async def test_without_public_url_each_address_gets_its_own_links(session, client):
    # PUBLIC_URL is unset here, so links are made from the address asked: an answer kept
    # for one host must not be served, with that host's links, to a reader of another.
    for _ in range(3):
        make_article(session)
    answers = {}
    for host in ("one.example", "two.example"):
        response = await client.get("/v1/articles?limit=1", headers={"Host": host})
        assert response.headers["x-cache"] == "MISS"
        answers[host] = response.json()["links"]["next"]
    assert answers["one.example"].startswith("http://one.example/v1/articles?")
    assert answers["two.example"].startswith("http://two.example/v1/articles?")
    again = await client.get("/v1/articles?limit=1", headers={"Host": "two.example"})
    assert (again.headers["x-cache"], again.json()["links"]["next"]) == (
        "HIT",
        answers["two.example"],
    )
