"""HTTP as caches, crawlers and monitors expect it: HEAD wherever GET is, `Allow` on 405
and OPTIONS, and a Last-Modified that moves only when the answer changes."""

from email.utils import format_datetime, parsedate_to_datetime

import anyio
import pytest

from app.demo.seed import SLUG
from tests.factories import make_article, make_author, make_feed_entry, make_key, make_section

pytestmark = pytest.mark.anyio

GET_PATHS = [
    "/v1/articles",
    "/v1/articles/story",
    "/v1/articles/story?format=ninjs",
    "/v1/authors",
    "/v1/authors/desk",
    "/v1/authors/desk/articles",
    "/v1/sections",
    "/v1/sections/world",
    "/v1/tags",
    "/v1/feed",
    "/v1/site",
    "/v1/sync",
    "/v1/popular",
    "/v1/feeds/site.rss",
    "/v1/feeds/section/world.atom",
    "/v1/sitemaps/news.xml",
    "/healthz",
    "/readyz",
    "/openapi.json",
    "/docs",
    "/redoc",
]


@pytest.fixture
def story(session):
    world = make_section(session, slug="world")
    desk = make_author(session, slug="desk")
    make_feed_entry(session)
    return make_article(session, slug="story", section_id=world.id, authors=[desk])


@pytest.mark.parametrize("path", GET_PATHS)
async def test_head_answers_wherever_get_does(demo, story, client, path):
    head = await client.head(path)  # cold: nothing kept yet
    get = await client.get(path)
    again = await client.head(path)  # warm: from what the GET left
    for answer in (head, again):
        assert answer.status_code == get.status_code == 200, path
        assert answer.content == b""
        for name in ("content-type", "etag", "last-modified", "cache-control"):
            assert answer.headers.get(name) == get.headers.get(name), (path, name)
    if "content-encoding" not in get.headers:
        assert int(head.headers["content-length"]) == len(get.content)


async def test_head_on_the_live_stream_ends(story, client):
    with anyio.fail_after(60):
        response = await client.head("/v1/feed/stream")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.content == b""


def _allow(response) -> set[str]:
    return {m.strip() for m in response.headers["allow"].split(",")}


@pytest.mark.parametrize(
    ("path", "methods"),
    [
        ("/v1/articles", {"GET", "HEAD", "POST", "OPTIONS"}),
        ("/v1/articles/story", {"GET", "HEAD", "PATCH", "DELETE", "OPTIONS"}),
        ("/v1/articles/story/publish", {"POST", "OPTIONS"}),
        ("/v1/photos", {"POST", "OPTIONS"}),
        ("/v1/photos/pho_1", {"GET", "HEAD", "PATCH", "DELETE", "OPTIONS"}),
        ("/v1/site", {"GET", "HEAD", "PATCH", "OPTIONS"}),
        ("/v1/keys/key_1", {"GET", "HEAD", "DELETE", "OPTIONS"}),
        ("/healthz", {"GET", "HEAD", "OPTIONS"}),
        # The stream, not a News Feed entry called "stream".
        ("/v1/feed/stream", {"GET", "HEAD", "OPTIONS"}),
    ],
)
async def test_405_and_options_list_every_method_of_the_path(client, path, methods):
    refused = await client.put(path, json={})
    assert refused.status_code == 405
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"] == "/problems/method-not-allowed"
    assert _allow(refused) == methods
    options = await client.options(path)
    assert options.status_code == 204
    assert _allow(options) == methods


async def test_a_put_upload_is_405_not_415(client, session):
    writer = {"Authorization": f"Bearer {make_key(session, 'content:write')}"}
    files = {"file": ("a.jpg", b"\xff\xd8\xff", "image/jpeg")}
    response = await client.put("/v1/photos", files=files, headers=writer)
    assert response.status_code == 405
    assert _allow(response) == {"POST", "OPTIONS"}


async def test_an_unknown_path_is_still_404(client):
    assert (await client.put("/v1/nothing-here")).status_code == 404
    assert (await client.options("/v1/nothing-here")).status_code == 404


def _since(response) -> dict[str, str]:
    return {"If-Modified-Since": response.headers["last-modified"]}


@pytest.fixture
def editor(session) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_key(session, 'content:write', 'content:preview')}"}


async def test_the_seed_article_is_as_old_as_its_last_edit(demo, client):
    from sqlalchemy import select

    from app.models import Article

    article = demo.scalars(select(Article).where(Article.slug == SLUG)).one()
    response = await client.get(f"/v1/articles/{SLUG}")
    assert parsedate_to_datetime(response.headers["last-modified"]) == article.updated_at.replace(
        microsecond=0
    )


async def test_an_unrelated_write_moves_no_last_modified(demo, client, editor):
    paths = [f"/v1/articles/{SLUG}", "/v1/sections", "/v1/feeds/site.rss"]
    before = {path: await client.get(path) for path in paths}
    created = await client.post(
        "/v1/tags", json={"slug": "unrelated", "name": "Unrelated"}, headers=editor
    )
    assert created.status_code == 201
    for path in paths:
        after = await client.get(path)
        assert after.headers["x-cache"] == "MISS", path  # really rendered again
        assert after.headers["last-modified"] == before[path].headers["last-modified"], path
        assert after.headers["etag"] == before[path].headers["etag"], path
        unchanged = await client.get(path, headers=_since(before[path]))
        assert unchanged.status_code == 304, path


async def test_an_edit_moves_last_modified_of_what_shows_it(story, client, editor):
    listed = await client.get("/v1/articles")
    etag = (await client.get("/v1/articles/story", headers=editor)).headers["etag"]
    patched = await client.patch(
        "/v1/articles/story", json={"headline": "Changed"}, headers={**editor, "If-Match": etag}
    )
    assert patched.status_code == 200
    for path in ("/v1/articles", "/v1/articles/story", "/v1/feeds/site.rss"):
        response = await client.get(path, headers=_since(listed))
        assert response.status_code == 200, path
        assert "Changed" in response.text


async def test_a_story_leaving_a_list_moves_its_last_modified(story, client, editor):
    listed = await client.get("/v1/articles?section=world")
    assert "story" in listed.text
    unpublished = await client.post("/v1/articles/story/unpublish", headers=editor)
    assert unpublished.status_code == 200
    again = await client.get("/v1/articles?section=world", headers=_since(listed))
    assert again.status_code == 200
    assert again.json()["data"] == []


async def test_a_back_dated_story_still_moves_the_list(story, session, client):
    listed = await client.get("/v1/articles")
    # Written straight to the database, dated long ago, newer than nothing in the list.
    make_article(session, slug="imported", minutes_after=10_000)
    again = await client.get("/v1/articles", headers=_since(listed))
    assert again.status_code == 200
    assert "imported" in again.text
    # Never earlier; in the same second as the last answer's only when that date, sent
    # back, is known to name other bytes (and so gets this 200).
    assert parsedate_to_datetime(again.headers["last-modified"]) >= parsedate_to_datetime(
        listed.headers["last-modified"]
    )


async def test_if_modified_since_in_the_past_gets_the_answer(story, client):
    first = await client.get("/v1/articles/story")
    changed = parsedate_to_datetime(first.headers["last-modified"])
    earlier = format_datetime(changed.replace(year=changed.year - 1), usegmt=True)
    response = await client.get("/v1/articles/story", headers={"If-Modified-Since": earlier})
    assert response.status_code == 200


async def test_a_cdn_keeps_public_answers_longer_when_purges_reach_it(
    story, session, fresh_client, settings_env
):
    partner = make_key(session, "partner", sections=["world"])
    settings_env(PURGE_BACKEND="varnish", PURGE_VARNISH_URLS="http://127.0.0.1:9")
    async with fresh_client() as client:
        public = await client.get("/v1/articles/story")
        assert public.headers["cache-control"].startswith("public, max-age=60")
        assert public.headers["surrogate-control"] == "max-age=86400"
        assert public.headers["cdn-cache-control"] == "max-age=86400"
        revalidated = await client.get("/v1/articles/story", headers=_since(public))
        assert revalidated.status_code == 304
        assert revalidated.headers["surrogate-control"] == "max-age=86400"
        private = await client.get("/v1/articles/story", headers={"X-API-Key": partner})
        assert "surrogate-control" not in private.headers
        # Answers that change without a write stay as short downstream as in a browser.
        assert "surrogate-control" not in (await client.get("/v1/popular")).headers
    settings_env(PURGE_BACKEND="")
    async with fresh_client() as client:
        assert "surrogate-control" not in (await client.get("/v1/articles/story")).headers
