"""Authors, photos, sections, tags, the News Feed and the site."""

from datetime import timedelta

import pytest

from app.models import ArticleStatus, AuthorKind, FeedKind
from tests.factories import (
    make_article,
    make_author,
    make_feed_entry,
    make_photo,
    make_section,
    make_tag,
)

pytestmark = pytest.mark.anyio


async def test_authors_are_listed_by_name(session, client):
    make_author(session, name="Zoe")
    make_author(session, name="Ann")
    body = (await client.get("/v1/authors")).json()
    assert [a["name"] for a in body["data"]] == ["Ann", "Zoe"]


async def test_authors_filter_by_kind(session, client):
    desk = make_author(session, kind=AuthorKind.desk)
    make_author(session)
    body = (await client.get("/v1/authors?kind=desk")).json()
    assert [a["id"] for a in body["data"]] == [desk.id]


async def test_author_by_slug(session, client):
    author = make_author(session, bio="Reports from Kyiv.")
    body = (await client.get(f"/v1/authors/{author.slug}")).json()["data"]
    assert (body["id"], body["bio"], body["kind"]) == (author.id, "Reports from Kyiv.", "person")


async def test_author_articles_lists_only_their_published_stories(session, client):
    author = make_author(session)
    theirs = make_article(session, authors=[author])
    make_article(session, authors=[author], status=ArticleStatus.draft, published_at=None)
    make_article(session)
    body = (await client.get(f"/v1/authors/{author.id}/articles?include=authors")).json()
    assert [a["id"] for a in body["data"]] == [theirs.id]
    assert body["data"][0]["authors"][0]["role"] == "author"


async def test_author_articles_of_unknown_author_is_404(session, client):
    assert (await client.get("/v1/authors/nobody/articles")).status_code == 404


async def test_photo_has_credit_size_renditions_and_rights(session, client):
    photo = make_photo(
        session,
        caption="KYIV - MAY 1: A street.",
        credit="Photo by A/B",
        photographer="A",
        agency="B",
        alt_text="A street",
        width=2000,
        height=1333,
        renditions=[{"width": 640, "height": 427, "url": "https://media.test/640.jpg"}],
        syndication_allowed=True,
        copyright_holder="B",
    )
    body = (await client.get(f"/v1/photos/{photo.id}")).json()["data"]
    assert (body["width"], body["height"], body["agency"]) == (2000, 1333, "B")
    assert body["renditions"][0]["width"] == 640
    assert body["rights"] == {
        "syndication_allowed": True,
        "copyright_holder": "B",
        "usage_terms": None,
    }


async def test_sections_in_navigation_order(session, client):
    second = make_section(session, position=2)
    first = make_section(session, position=1)
    body = (await client.get("/v1/sections")).json()
    assert [s["id"] for s in body["data"]] == [first.id, second.id]
    one = (await client.get(f"/v1/sections/{first.slug}")).json()["data"]
    assert one["position"] == 1


async def test_tags_alphabetical_and_by_ref(session, client):
    make_tag(session, slug="war", name="War")
    aid = make_tag(session, slug="aid", name="Aid")
    body = (await client.get("/v1/tags?fields=slug")).json()
    assert body["data"] == [
        {"id": aid.id, "slug": "aid"},
        {"id": body["data"][1]["id"], "slug": "war"},
    ]
    assert (await client.get(f"/v1/tags/{aid.id}")).json()["data"]["name"] == "Aid"


async def test_feed_since_is_strictly_after(session, client):
    entries = [make_feed_entry(session) for _ in range(3)]
    since = entries[1].published_at.isoformat()
    body = (await client.get("/v1/feed", params={"since": since})).json()
    assert [e["id"] for e in body["data"]] == [entries[2].id]


async def test_feed_hides_drafts_and_future_entries(session, client):
    visible = make_feed_entry(session)
    make_feed_entry(session, status=ArticleStatus.draft)
    make_feed_entry(session, published_at=visible.published_at + timedelta(days=3650))
    body = (await client.get("/v1/feed")).json()
    assert [e["id"] for e in body["data"]] == [visible.id]
    assert (await client.get(f"/v1/feed/{visible.id}")).json()["data"]["title"] == visible.title


async def test_feed_filter_by_kind(session, client):
    video = make_feed_entry(session, kind=FeedKind.video)
    make_feed_entry(session)
    body = (await client.get("/v1/feed?kind=video")).json()
    assert [e["id"] for e in body["data"]] == [video.id]


async def test_feed_entry_links_its_article_only_while_visible(session, client):
    article = make_article(session)
    draft = make_article(session, status=ArticleStatus.draft, published_at=None)
    linked = make_feed_entry(session, article_id=article.id)
    to_draft = make_feed_entry(session, article_id=draft.id)
    got = (await client.get(f"/v1/feed/{linked.id}")).json()["data"]
    assert got["article"] == {"id": article.id, "slug": article.slug}
    hidden = (await client.get(f"/v1/feed/{to_draft.id}")).json()["data"]
    assert hidden["article"] is None


async def test_site_before_setup_is_404(session, client):
    assert (await client.get("/v1/site")).status_code == 404


@pytest.mark.parametrize(
    "path",
    ["/v1/authors/nope", "/v1/photos/nope", "/v1/sections/nope", "/v1/tags/nope", "/v1/feed/nope"],
)
async def test_unknown_ref_is_404(session, client, path):
    response = await client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
