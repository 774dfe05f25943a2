"""The reference page goes in through `byline demo` and comes back out of the API whole."""

import httpx
import pytest

from app.demo.seed import RELATED_SLUG, SLUG

pytestmark = pytest.mark.anyio


async def _article(client: httpx.AsyncClient) -> dict:
    response = await client.get(f"/v1/articles/{SLUG}")
    assert response.status_code == 200
    return response.json()["data"]


async def test_headline_byline_and_time(demo, client):
    article = await _article(client)
    assert article["headline"] == (
        "Russia 'categorically' rejected unconditional ceasefire in peace talks, "
        "Ukrainian official says"
    )
    assert [(a["name"], a["kind"], a["role"]) for a in article["authors"]] == [
        ("The Kyiv Independent news desk", "desk", "author")
    ]
    # May 25, 2025, 5:16 PM in Kyiv (UTC+3).
    assert article["published_at"] == "2025-05-25T14:16:00Z"


async def test_two_minute_read(demo, client):
    article = await _article(client)
    assert article["reading_time_minutes"] == 2
    assert article["word_count"] == 236


async def test_lead_photo_fields_are_separate(demo, client):
    photo = (await _article(client))["lead_photo"]
    assert photo["caption"].startswith("ISTANBUL, TURKIYE - MAY 15: Turkish Foreign Minister")
    assert photo["photographer"] == "Arda Kucukkaya"
    assert photo["agency"] == "Anadolu via Getty Images"
    assert photo["credit"] == "Photo by Arda Kucukkaya/Anadolu via Getty Images"
    assert photo["rights"]["syndication_allowed"] is False


async def test_lead_photo_is_a_stand_in_upload_with_size_and_renditions(demo, client):
    photo = (await _article(client))["lead_photo"]
    assert photo["alt_text"].startswith("A stand-in image for the photo of Hakan Fidan")
    assert (photo["width"], photo["height"], photo["mime_type"]) == (1800, 1200, "image/jpeg")
    assert [(r["width"], r["height"]) for r in photo["renditions"]] == [
        (320, 213), (640, 427), (1024, 683), (1600, 1067)
    ]  # fmt: skip
    assert photo["url"].startswith("http://byline.test/media/pho_")
    served = await client.get(photo["renditions"][0]["url"].removeprefix("http://byline.test"))
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"


async def test_photo_dateline_is_not_the_articles(demo, client):
    article = await _article(client)
    assert article["dateline"] is None
    assert "ISTANBUL" not in article["body_html"]


async def test_body_blocks_keep_the_quotes(demo, client):
    body = (await _article(client))["body"]
    assert [b["type"] for b in body] == ["paragraph"] * 8 + ["related"]
    assert '"an unconditional ceasefire is categorically unacceptable,"' in body[0]["html"]
    assert body[3]["html"].startswith('"I do not think that (the Russian')
    assert body[5]["html"].endswith('"we don\'t want this anymore."')


async def test_inline_read_also_card(demo, client):
    article = await _article(client)
    [card] = article["related"]
    assert card["inline"] is True
    assert card["kind"] == "article"
    assert card["title"] == (
        "Ukraine brings home 307 POWs in 2nd phase of major prisoner swap with Russia"
    )
    assert card["summary"].startswith("Ukraine has secured the release of 307 Ukrainians")
    assert card["site_name"] == "The Kyiv Independent"
    assert [a["name"] for a in card["authors"]] == ["Martin Fornusek"]
    assert card["article"]["slug"] == RELATED_SLUG
    # The body places the card after the last paragraph, in blocks and in HTML.
    assert article["body"][-1]["related"]["id"] == card["id"]
    assert article["body_html"].rstrip().endswith("</aside>")
    assert "Martin Fornusek" in article["body_html"]


async def test_news_feed_newest_first(demo, client):
    response = await client.get("/v1/feed")
    entries = response.json()["data"]
    assert [(e["published_at"], e["kind"]) for e in entries] == [
        ("2025-05-25T14:03:00Z", "video"),  # 5:03 PM, May 25
        ("2025-05-24T20:31:00Z", "news"),  # 11:31 PM, May 24
        ("2025-05-24T14:27:00Z", "video"),  # 5:27 PM, May 24
    ]
    assert entries[1]["title"] == "US rolls back Assad-era sanctions on Syria."
    assert entries[0]["summary"].startswith("In the latest episode of Ukraine This Week")


async def test_site_with_membership_banner(demo, client):
    site = (await client.get("/v1/site")).json()["data"]
    assert site["name"] == "The Kyiv Independent"
    assert site["timezone"] == "Europe/Kyiv"
    assert site["language"] == "en"
    assert site["membership_banner"]["text"] == (
        "Stand behind Ukrainian independent journalism when it’s needed most. "
        "Help us reach 20,000 members."
    )


async def test_demo_loads_once(demo):
    from app.demo.seed import load_reference

    assert load_reference(demo) is False
