"""RSS 2.0 with Media RSS, Atom 1.0 and JSON Feed 1.1, read back with a real feed parser."""

from datetime import timedelta
from xml.etree import ElementTree as ET

import feedparser
import pytest

from app.db import utcnow
from app.demo.generate import generate
from app.demo.seed import RELATED_SLUG, SLUG
from app.models import ArticleStatus
from tests.factories import (
    make_article,
    make_author,
    make_key,
    make_photo,
    make_section,
    make_tag,
)
from tests.test_query_count import count_statements

pytestmark = pytest.mark.anyio

MEDIA = "{http://search.yahoo.com/mrss/}"
ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
}


def parsed(response) -> feedparser.FeedParserDict:
    """The feed as feedparser reads it; a feed it finds malformed fails the test."""
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    return feed


async def _ids_of_list(client, query: str = "", headers=None) -> list[str]:
    response = await client.get(f"/v1/articles?limit=100{query}", headers=headers or {})
    return [a["id"] for a in response.json()["data"]]


@pytest.fixture
def generated(demo):
    """The reference page plus 60 generated stories: drafts, scheduled, embargoed, photos."""
    generate(demo, count=60, seed=7)
    return demo


# --- The demo content, in each kind of feed.


@pytest.mark.parametrize("ext", ["rss", "atom", "json"])
async def test_content_type_and_self_link(demo, client, ext):
    response = await client.get(f"/v1/feeds/site.{ext}?limit=10")
    assert response.status_code == 200
    assert response.headers["content-type"] == CONTENT_TYPES[ext]
    assert response.headers["cache-control"].startswith("public")
    self_url = "http://byline.test/v1/feeds/site." + ext + "?limit=10"
    if ext == "json":
        assert response.json()["feed_url"] == self_url
    else:
        links = parsed(response).feed.links
        assert {"rel": "self", "href": self_url} in [
            {"rel": link["rel"], "href": link["href"]} for link in links
        ]


async def test_rss_of_the_reference_page(demo, client):
    response = await client.get("/v1/feeds/site.rss")
    feed = parsed(response)
    assert feed.version == "rss20"
    assert feed.feed.title == "The Kyiv Independent"
    assert feed.feed.link == "https://kyivindependent.com"
    assert feed.feed.language == "en"
    first, second = feed.entries
    assert first.title.startswith("Russia 'categorically' rejected unconditional ceasefire")
    assert first.link == f"https://kyivindependent.com/{SLUG}/"
    assert second.link == f"https://kyivindependent.com/{RELATED_SLUG}/"
    assert first.author == "The Kyiv Independent news desk"  # dc:creator
    assert first.published_parsed[:5] == (2025, 5, 25, 14, 16)
    assert {t.term for t in first.tags} == {"News", "Peace talks", "Russia"}
    # Without a summary the description is the body; with one, the body is content:encoded.
    assert "categorically unacceptable" in first.summary
    assert second.summary.startswith("Ukraine has secured the release of 307")
    assert any(c.type == "text/html" and "<p>" in c.value for c in second.content)
    assert first.id.endswith(f"/v1/articles/{(await _ids_of_list(client))[0]}")
    # Media RSS: the lead photo with its caption and its credit.
    assert first.media_content[0]["url"].endswith("/original.jpg")
    assert first.media_content[0]["medium"] == "image"
    assert first.media_credit[0]["content"] == "Photo by Arda Kucukkaya/Anadolu via Getty Images"
    assert "media_content" not in second  # the related story has no photo


async def test_rss_photo_credit_sits_inside_media_content(demo, client):
    root = ET.fromstring((await client.get("/v1/feeds/site.rss")).content)
    item = root.find("channel/item")
    content = item.find(f"{MEDIA}content")
    assert content.get("type") == "image/jpeg"
    assert content.find(f"{MEDIA}credit").text.startswith("Photo by Arda Kucukkaya")
    assert content.find(f"{MEDIA}description").text.startswith("ISTANBUL, TURKIYE - MAY 15")
    assert content.find(f"{MEDIA}copyright").text == "Anadolu via Getty Images"
    channel_self = root.find(f"channel/{ATOM}link")
    assert channel_self.get("rel") == "self"


async def test_atom_of_the_reference_page(demo, client):
    feed = parsed(await client.get("/v1/feeds/site.atom"))
    assert feed.version == "atom10"
    assert feed.feed.title == "The Kyiv Independent"
    assert feed.feed.id == "http://byline.test/v1/feeds/site.atom"
    first = feed.entries[0]
    assert first.title.startswith("Russia 'categorically' rejected")
    assert first.link == f"https://kyivindependent.com/{SLUG}/"
    assert first.authors == [
        {
            "name": "The Kyiv Independent news desk",
            "href": "https://kyivindependent.com/authors/kyiv-independent-news-desk/",
        }
    ]
    assert first.published_parsed[:5] == (2025, 5, 25, 14, 16)
    assert first.updated_parsed[:5] == (2025, 5, 25, 14, 16)
    assert first.content[0].type == "text/html"
    assert "Kyslytsia" in first.content[0].value
    assert {(t.term, t.label) for t in first.tags} == {
        ("news", "News"),
        ("peace-talks", "Peace talks"),
        ("russia", "Russia"),
    }
    assert first.media_credit[0]["content"].startswith("Photo by Arda Kucukkaya")


async def test_json_feed_of_the_reference_page(demo, client):
    response = await client.get("/v1/feeds/site.json")
    feed = response.json()
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] == "The Kyiv Independent"
    assert feed["home_page_url"] == "https://kyivindependent.com"
    assert feed["language"] == "en"
    first, second = feed["items"]
    assert [a["name"] for a in second["authors"]] == ["Martin Fornusek"]
    assert first["url"] == f"https://kyivindependent.com/{SLUG}/"
    assert first["id"].startswith("http://byline.test/v1/articles/art_")
    assert first["date_published"] == "2025-05-25T14:16:00Z"
    assert first["authors"] == [
        {
            "name": "The Kyiv Independent news desk",
            "url": "https://kyivindependent.com/authors/kyiv-independent-news-desk/",
        }
    ]
    assert first["tags"] == ["Peace talks", "Russia"]
    assert first["image"].endswith("/original.jpg")
    assert first["_byline"]["lead_photo"]["credit"].startswith("Photo by Arda")
    assert "categorically unacceptable" in first["content_html"]
    assert second["summary"].startswith("Ukraine has secured the release of 307")
    assert "image" not in second


async def test_items_carry_the_update_time_not_the_publication_time(session, client):
    published = utcnow().replace(microsecond=0) - timedelta(days=2)
    updated = published + timedelta(hours=3, minutes=7)
    make_article(session, published_at=published, updated_at=updated)
    rss = await client.get("/v1/feeds/site.rss")
    # feedparser reports the publication time as `updated` when an item has none.
    item = ET.fromstring(rss.content).find("channel/item")
    assert item.findtext(f"{ATOM}updated") == updated.isoformat().replace("+00:00", "Z")
    for response in (rss, await client.get("/v1/feeds/site.atom")):
        [entry] = parsed(response).entries
        assert entry.updated_parsed[:6] == updated.utctimetuple()[:6]
        assert entry.published_parsed[:6] == published.utctimetuple()[:6]
    [item] = (await client.get("/v1/feeds/site.json")).json()["items"]
    assert item["date_modified"] == updated.isoformat().replace("+00:00", "Z")
    assert item["date_published"] == published.isoformat().replace("+00:00", "Z")


# --- Generated content: every scope, every kind, the same stories the JSON API lists.


@pytest.mark.parametrize("ext", ["rss", "atom"])
async def test_generated_site_feed_matches_the_article_list(generated, client, ext):
    listed = await _ids_of_list(client)
    feed = parsed(await client.get(f"/v1/feeds/site.{ext}"))
    assert len(feed.entries) == 50
    assert [e.id.rsplit("/", 1)[1] for e in feed.entries] == listed[:50]
    for entry in feed.entries:
        assert entry.title and entry.link.startswith("https://")
        assert entry.published_parsed is not None


async def test_generated_json_feed_is_well_formed(generated, client):
    feed = (await client.get("/v1/feeds/site.json?limit=100")).json()
    listed = await _ids_of_list(client)
    assert [item["_byline"]["article_id"] for item in feed["items"]] == listed
    for item in feed["items"]:
        # JSON Feed 1.1: a string id and some content are required.
        assert isinstance(item["id"], str) and item["id"]
        assert item["content_html"]
        assert item["date_published"].endswith("Z")


@pytest.mark.parametrize(
    "scope, query",
    [
        ("section/ukraine", "&section=ukraine"),
        ("tag/russia", "&tag=russia"),
        ("author/kyiv-independent-news-desk", "&author=kyiv-independent-news-desk"),
    ],
)
async def test_scoped_feeds_list_the_scope_only(generated, client, scope, query):
    expected = await _ids_of_list(client, query)
    assert expected  # the scope has stories: an empty feed would prove nothing
    for ext in ("rss", "atom"):
        feed = parsed(await client.get(f"/v1/feeds/{scope}.{ext}?limit=100"))
        assert [e.id.rsplit("/", 1)[1] for e in feed.entries] == expected


async def test_scoped_feed_title_names_the_scope(generated, client):
    feed = parsed(await client.get("/v1/feeds/section/ukraine.atom"))
    assert feed.feed.title == "The Kyiv Independent: Ukraine"
    assert feed.feed.subtitle == "The war, politics and everyday life in Ukraine."


async def test_limit(generated, client):
    assert len(parsed(await client.get("/v1/feeds/site.rss?limit=3")).entries) == 3
    response = await client.get("/v1/feeds/site.rss?limit=101")
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "path",
    [
        "/v1/feeds/site.xml",
        "/v1/feeds/everything.rss",
        "/v1/feeds/section/no-such-section.rss",
        "/v1/feeds/tag/no-such-tag.atom",
        "/v1/feeds/author/nobody.json",
        "/v1/feeds/category/news.rss",
    ],
)
async def test_unknown_scope_slug_or_format_is_404(demo, client, path):
    response = await client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/not-found"


async def test_unknown_parameter_is_400(demo, client):
    response = await client.get("/v1/feeds/site.rss?format=atom")
    assert response.status_code == 400


# --- Only what the reader may see.


async def test_drafts_scheduled_and_embargoed_stories_stay_out(session, client):
    make_article(session, headline="Published")
    make_article(session, headline="Draft", status=ArticleStatus.draft, published_at=None)
    make_article(
        session,
        headline="Scheduled",
        status=ArticleStatus.scheduled,
        published_at=utcnow() + timedelta(hours=1),
    )
    make_article(session, headline="Embargoed", embargo_until=utcnow() + timedelta(hours=1))
    for ext in ("rss", "atom"):
        feed = parsed(await client.get(f"/v1/feeds/site.{ext}"))
        assert [e.title for e in feed.entries] == ["Published"]
    feed = (await client.get("/v1/feeds/site.json")).json()
    assert [i["title"] for i in feed["items"]] == ["Published"]
    # No byline and no tags: the fields are left out rather than empty.
    assert "authors" not in feed["items"][0] and "tags" not in feed["items"][0]


@pytest.fixture
def partner_world(session):
    ours = make_section(session, slug="ours", name="Ours")
    theirs = make_section(session, slug="theirs", name="Theirs")
    shared = make_tag(session, slug="shared")
    getty = make_photo(session, syndication_allowed=False, credit="Photo by Getty")
    staff = make_photo(session, syndication_allowed=True, credit="Photo by Staff")
    a = make_article(session, section_id=ours.id, lead_photo_id=getty.id, headline="Ours, Getty")
    b = make_article(session, section_id=ours.id, lead_photo_id=staff.id, headline="Ours, staff")
    c = make_article(session, section_id=theirs.id, headline="Theirs")
    d = make_article(session, section_id=theirs.id, tags=[shared], headline="Shared tag")
    e = make_article(
        session,
        section_id=ours.id,
        headline="Embargoed",
        embargo_until=utcnow() + timedelta(hours=2),
    )
    partner = make_key(session, "partner", sections=["ours"], tags=["shared"])
    early = make_key(session, "partner", sections=["ours"], advance_embargo=True)
    return locals()


async def test_partner_feed_by_api_key_holds_only_its_stories(partner_world, client):
    w = partner_world
    response = await client.get("/v1/feeds/site.rss", params={"api_key": w["partner"]})
    assert response.status_code == 200
    assert response.headers["cache-control"].startswith("private")
    feed = parsed(response)
    assert [e.title for e in feed.entries] == ["Shared tag", "Ours, staff", "Ours, Getty"]
    # The key is never echoed, not even in the feed's link to itself.
    assert w["partner"] not in response.text
    assert feed.feed.links[-1]["href"] == "http://byline.test/v1/feeds/site.rss"


@pytest.mark.parametrize("ext", ["rss", "atom"])
async def test_partner_gets_no_media_for_photos_without_syndication_rights(
    partner_world, client, ext
):
    w = partner_world
    response = await client.get(f"/v1/feeds/section/ours.{ext}", params={"api_key": w["partner"]})
    entries = {e.title: e for e in parsed(response).entries}
    assert "media_content" not in entries["Ours, Getty"]
    assert "Photo by Getty" not in response.text
    assert w["getty"].url not in response.text
    assert entries["Ours, staff"].media_content[0]["url"] == w["staff"].url
    # The public feed still carries the agency photo.
    public = await client.get(f"/v1/feeds/section/ours.{ext}")
    assert w["getty"].url in public.text


async def test_partner_json_feed_has_no_image_without_syndication_rights(partner_world, client):
    w = partner_world
    feed = (await client.get("/v1/feeds/site.json", params={"api_key": w["partner"]})).json()
    items = {i["title"]: i for i in feed["items"]}
    assert set(items) == {"Shared tag", "Ours, staff", "Ours, Getty"}
    assert "image" not in items["Ours, Getty"]
    assert items["Ours, Getty"]["_byline"]["lead_photo"] is None
    assert items["Ours, staff"]["image"] == w["staff"].url


async def test_partner_section_feed_outside_its_allowlist_is_empty(partner_world, client):
    w = partner_world
    response = await client.get("/v1/feeds/section/theirs.atom", params={"api_key": w["partner"]})
    assert [e.title for e in parsed(response).entries] == ["Shared tag"]


async def test_advance_embargo_partner_sees_the_story_early(partner_world, client):
    w = partner_world
    early = parsed(await client.get("/v1/feeds/site.atom", params={"api_key": w["early"]}))
    assert "Embargoed" in [e.title for e in early.entries]
    other = parsed(await client.get("/v1/feeds/site.atom", params={"api_key": w["partner"]}))
    assert "Embargoed" not in [e.title for e in other.entries]


async def test_json_feed_marks_an_embargo_still_holding(partner_world, client):
    w = partner_world
    feed = (await client.get("/v1/feeds/site.json", params={"api_key": w["early"]})).json()
    marks = {i["title"]: i["_byline"]["embargoed_until"] for i in feed["items"]}
    until = w["e"].embargo_until.isoformat().replace("+00:00", "Z")
    assert marks == {"Embargoed": until, "Ours, staff": None, "Ours, Getty": None}


async def test_bad_feed_key_is_401(session, client):
    response = await client.get("/v1/feeds/site.rss", params={"api_key": "byl_nope_nope"})
    assert response.status_code == 401
    assert "byl_nope_nope" not in response.text


async def test_partner_feed_usage_counts_items(partner_world, client, session):
    from sqlalchemy import select

    from app.models import KeyUsage

    await client.get("/v1/feeds/site.json", params={"api_key": partner_world["partner"]})
    usage = session.scalars(select(KeyUsage)).all()
    assert [(u.requests, u.items) for u in usage] == [(1, 3)]


# --- Robustness and cost.


async def test_control_characters_do_not_break_the_feed(session, client):
    make_article(session, headline="Vertical\x0btab", summary="Form\x0cfeed")
    for ext in ("rss", "atom"):
        feed = parsed(await client.get(f"/v1/feeds/site.{ext}"))
        assert feed.entries[0].title == "Verticaltab"


async def test_feeds_are_cached_and_revalidated(session, client):
    make_article(session)
    first = await client.get("/v1/feeds/site.rss")
    again = await client.get("/v1/feeds/site.rss", headers={"If-None-Match": first.headers["etag"]})
    assert (first.headers["x-cache"], again.status_code) == ("MISS", 304)
    assert "articles" in first.headers["surrogate-key"].split()


async def test_feed_costs_a_fixed_number_of_queries(engine, session, client):
    author = make_author(session)
    tag = make_tag(session)
    for _ in range(12):
        make_article(session, authors=[author], tags=[tag], lead_photo_id=make_photo(session).id)
    counts = {}
    for limit in (2, 12):
        with count_statements(engine) as statements:
            response = await client.get(f"/v1/feeds/tag/{tag.slug}.rss?limit={limit}")
        assert len(parsed(response).entries) == limit
        counts[limit] = len(statements)
    assert counts[2] == counts[12]
    assert counts[12] <= 12
