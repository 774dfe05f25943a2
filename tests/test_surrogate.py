"""Surrogate keys: small headers whatever an answer holds, and purges that reach every
answer a change alters (the keys an answer carries meet the keys its change purges)."""

import pytest
from sqlalchemy import select

from app.models import Event
from tests.factories import make_article, make_author, make_key, make_photo, make_section, make_tag

pytestmark = pytest.mark.anyio


def keys_of(response) -> set[str]:
    return set(response.headers.get("surrogate-key", "").split())


@pytest.fixture
def editor(session) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_key(session, 'content:write', 'content:preview')}"}


@pytest.fixture
def newsroom(session):
    world = make_section(session, slug="world", name="World")
    sport = make_section(session, slug="sport", name="Sport")
    war = make_tag(session, slug="war", name="War")
    desk = make_author(session, slug="desk", name="The Desk")
    other = make_author(session, slug="other", name="Other")
    photo = make_photo(session, caption="A caption")
    story = make_article(
        session,
        slug="story",
        section_id=world.id,
        authors=[desk],
        tags=[war],
        lead_photo_id=photo.id,
    )
    bystander = make_article(session, slug="bystander", section_id=sport.id, authors=[other])
    return {
        "world": world,
        "sport": sport,
        "war": war,
        "desk": desk,
        "photo": photo,
        "story": story,
        "bystander": bystander,
    }


async def test_lists_carry_their_collections_not_their_items(client, session, newsroom):
    listed = await client.get("/v1/articles")
    assert keys_of(listed) == {"articles", "article-lists"}
    by_section = await client.get("/v1/articles?section=world")
    assert keys_of(by_section) == {"articles:section:world", "article-lists"}
    by_tags = await client.get(f"/v1/articles?tag=war,{newsroom['war'].id}&tag=war")
    assert keys_of(by_tags) == {
        "articles:tag:war",
        f"articles:tag:{newsroom['war'].id}",
        "article-lists",
    }
    by_author = await client.get(f"/v1/authors/{newsroom['desk'].slug}/articles")
    assert keys_of(by_author) == {f"articles:author:{newsroom['desk'].id}", "article-lists"}
    assert keys_of(await client.get("/v1/feeds/site.rss")) == {"articles", "article-lists", "site"}
    assert keys_of(await client.get("/v1/feeds/section/world.atom")) == {
        f"articles:section:{newsroom['world'].id}",
        "section:world",
        "article-lists",
        "site",
    }
    assert keys_of(await client.get("/v1/sections")) == {"sections"}


async def test_a_full_page_of_stories_keeps_its_header_small(client, session, newsroom):
    authors = [make_author(session) for _ in range(5)]
    tags = [make_tag(session) for _ in range(5)]
    for n in range(100):
        make_article(
            session,
            section_id=newsroom["world"].id,
            authors=authors[n % 5 : n % 5 + 2],
            tags=tags[n % 5 : n % 5 + 3],
            lead_photo_id=make_photo(session).id,
        )
    for path in (
        "/v1/articles?limit=100&include=authors,tags,lead_photo,related",
        "/v1/feeds/site.rss?limit=100",
        "/v1/feeds/section/world.json?limit=100",
    ):
        response = await client.get(path)
        assert response.status_code == 200
        assert len(response.headers["surrogate-key"]) < 200, path
        # Every header together fits nginx's default 4 KiB proxy buffer.
        assert sum(len(k) + len(v) + 4 for k, v in response.headers.items()) < 4096, path


def purged(session, since: int) -> set[str]:
    session.expire_all()
    rows = session.scalars(select(Event).order_by(Event.created_at, Event.id)).all()
    return {key for event in rows[since:] for key in event.data.get("surrogate_keys", ())}


def event_count(session) -> int:
    session.expire_all()
    return len(session.scalars(select(Event)).all())


READS = [
    "/v1/articles",
    "/v1/articles?include=authors,tags,lead_photo",
    "/v1/articles?section=world",
    "/v1/articles?section=sport",
    "/v1/articles?tag=war",
    "/v1/articles/story",
    "/v1/articles/bystander",
    "/v1/authors/desk",
    "/v1/authors/desk/articles",
    "/v1/authors/other/articles",
    "/v1/sections",
    "/v1/sections/world",
    "/v1/tags/war",
    "/v1/feeds/site.json",
    "/v1/feeds/section/world.json",
    "/v1/feeds/section/sport.json",
    "/v1/feeds/tag/war.json",
]


async def _snapshot(client) -> dict[str, tuple[int, bytes, set[str]]]:
    out = {}
    for path in READS:
        response = await client.get(path)
        out[path] = (response.status_code, response.content, keys_of(response))
    return out


async def _etag(client, path: str, editor: dict) -> str:
    return (await client.get(path, headers=editor)).headers["etag"]


async def _change(client, editor, newsroom, change: str) -> None:
    story = "/v1/articles/story"
    if change == "headline":
        etag = await _etag(client, story, editor)
        response = await client.patch(
            story, json={"headline": "Changed"}, headers={**editor, "If-Match": etag}
        )
    elif change == "move to sport, drop the tag":
        etag = await _etag(client, story, editor)
        response = await client.patch(
            story, json={"section": "sport", "tags": []}, headers={**editor, "If-Match": etag}
        )
    elif change == "unpublish":
        response = await client.post(f"{story}/unpublish", headers=editor)
    elif change == "delete":
        etag = await _etag(client, story, editor)
        response = await client.delete(story, headers={**editor, "If-Match": etag})
    elif change == "rename the author":
        path = f"/v1/authors/{newsroom['desk'].id}"
        etag = await _etag(client, path, editor)
        response = await client.patch(
            path, json={"name": "The New Desk"}, headers={**editor, "If-Match": etag}
        )
    elif change == "rename the section":
        path = f"/v1/sections/{newsroom['world'].id}"
        etag = await _etag(client, path, editor)
        response = await client.patch(
            path, json={"name": "The World"}, headers={**editor, "If-Match": etag}
        )
    elif change == "recaption the photo":
        path = f"/v1/photos/{newsroom['photo'].id}"
        etag = await _etag(client, path, editor)
        response = await client.patch(
            path, json={"caption": "Another caption"}, headers={**editor, "If-Match": etag}
        )
    else:  # pragma: no cover
        raise AssertionError(change)
    assert response.status_code in (200, 204), response.text


CHANGES = [
    "headline",
    "move to sport, drop the tag",
    "unpublish",
    "delete",
    "rename the author",
    "rename the section",
    "recaption the photo",
]


@pytest.mark.parametrize("change", CHANGES)
async def test_every_answer_a_change_alters_is_purged(client, session, newsroom, editor, change):
    before = await _snapshot(client)
    seen = event_count(session)
    await _change(client, editor, newsroom, change)
    purge = purged(session, seen)
    after = await _snapshot(client)
    altered = [p for p in READS if before[p][:2] != after[p][:2]]
    assert altered, "the change altered nothing: the test would prove nothing"
    for path in altered:
        assert before[path][2] & purge, f"{path} changed but none of its keys was purged"


async def test_a_story_edit_leaves_other_sections_cached(client, session, newsroom, editor):
    before = await _snapshot(client)
    seen = event_count(session)
    await _change(client, editor, newsroom, "headline")
    purge = purged(session, seen)
    for path in ("/v1/articles?section=sport", "/v1/articles/bystander", "/v1/sections"):
        assert not before[path][2] & purge, path
