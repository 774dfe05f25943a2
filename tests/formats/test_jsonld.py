"""schema.org NewsArticle JSON-LD."""

from datetime import datetime

import pytest

from app.demo.seed import SITE_URL, SLUG
from tests.factories import make_article, make_author, make_key, make_photo, make_section

PIXELS = "E37"  # UN/CEFACT Common Code for a pixel, as schema.org's unitCode takes it


def pixels(n: int) -> dict:
    return {"@type": "QuantitativeValue", "value": n, "unitCode": PIXELS}


pytestmark = pytest.mark.anyio


async def _jsonld(client, ref: str, headers=None) -> dict:
    response = await client.get(f"/v1/articles/{ref}?format=jsonld", headers=headers or {})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/ld+json"
    return response.json()


async def test_reference_page_as_news_article(demo, client):
    doc = await _jsonld(client, SLUG)
    canonical = f"https://kyivindependent.com/{SLUG}/"
    logo = f"{SITE_URL}/assets/kyiv-independent-logo.png"
    assert doc["@context"] == "https://schema.org"
    assert doc["@type"] == "NewsArticle"
    assert doc["headline"].startswith("Russia 'categorically' rejected")
    assert doc["datePublished"] == "2025-05-25T14:16:00Z"
    datetime.fromisoformat(doc["dateModified"])
    assert doc["mainEntityOfPage"] == {"@type": "WebPage", "@id": canonical}
    assert doc["url"] == canonical
    # The byline is a collective desk: an Organization, not a Person.
    assert doc["author"] == [
        {
            "@type": "Organization",
            "name": "The Kyiv Independent news desk",
            "url": "https://kyivindependent.com/authors/kyiv-independent-news-desk/",
        }
    ]
    assert doc["publisher"] == {
        "@type": "Organization",
        "name": "The Kyiv Independent",
        "url": "https://kyivindependent.com",
        # The demo knows the logo's address, not its size: no width or height is made up.
        "logo": {"@type": "ImageObject", "url": logo, "contentUrl": logo},
    }
    assert doc["articleSection"] == "News"
    assert doc["keywords"] == ["Peace talks", "Russia"]
    assert doc["wordCount"] == 236
    assert doc["inLanguage"] == "en"
    assert doc["isAccessibleForFree"] is True
    [image] = doc["image"]
    assert image["@type"] == "ImageObject"
    assert image["url"].endswith("/original.jpg")
    assert image["caption"].startswith("ISTANBUL, TURKIYE - MAY 15")
    assert image["creditText"] == "Photo by Arda Kucukkaya/Anadolu via Getty Images"
    assert image["creator"] == {"@type": "Person", "name": "Arda Kucukkaya"}
    assert image["copyrightHolder"] == {"@type": "Organization", "name": "Anadolu via Getty Images"}


async def test_person_author_and_no_site(session, client):
    person = make_author(session, name="Olena Example", job_title="Reporter")
    article = make_article(session, authors=[person], canonical_url=None)
    doc = await _jsonld(client, article.slug)
    assert doc["author"] == [{"@type": "Person", "name": "Olena Example", "jobTitle": "Reporter"}]
    # Before the site is set up the API's own address stands in for the publisher.
    assert doc["publisher"]["url"] == "http://byline.test/"
    assert "mainEntityOfPage" not in doc and "image" not in doc


async def test_partner_gets_no_image_without_syndication_rights(session, client):
    section = make_section(session, slug="ours")
    getty = make_photo(session, syndication_allowed=False, credit="Getty")
    article = make_article(session, section_id=section.id, lead_photo_id=getty.id)
    partner = make_key(session, "partner", sections=["ours"])
    doc = await _jsonld(client, article.id, headers={"X-API-Key": partner})
    assert "image" not in doc
    assert getty.url not in str(doc)
    assert (await _jsonld(client, article.id))["image"][0]["url"] == getty.url


async def test_image_sizes_are_quantitative_values_in_pixels(session, client):
    photo = make_photo(session, width=1200, height=800)
    article = make_article(session, lead_photo_id=photo.id)
    [image] = (await _jsonld(client, article.slug))["image"]
    assert (image["width"], image["height"]) == (pixels(1200), pixels(800))


async def test_publisher_logo_is_the_sites(session, client):
    editor = {"Authorization": f"Bearer {make_key(session, 'content:write')}"}
    site = {"name": "The Example Times", "url": "https://news.example.org", "timezone": "UTC"}
    logo = {"logo_url": "https://news.example.org/logo.png", "logo_width": 600, "logo_height": 60}
    response = await client.patch(
        "/v1/site", json={**site, "language": "en", **logo}, headers=editor
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["logo"] == {
        "url": "https://news.example.org/logo.png",
        "width": 600,
        "height": 60,
    }
    doc = await _jsonld(client, make_article(session).slug)
    assert doc["publisher"]["logo"] == {
        "@type": "ImageObject",
        "url": "https://news.example.org/logo.png",
        "contentUrl": "https://news.example.org/logo.png",
        "width": pixels(600),
        "height": pixels(60),
    }


async def test_no_logo_until_the_site_has_one(session, client):
    editor = {"Authorization": f"Bearer {make_key(session, 'content:write')}"}
    site = {"name": "Times", "url": "https://news.example.org", "timezone": "UTC", "language": "en"}
    response = await client.patch("/v1/site", json=site, headers=editor)
    assert response.json()["data"]["logo"] is None
    doc = await _jsonld(client, make_article(session).slug)
    assert "logo" not in doc["publisher"]


@pytest.mark.parametrize("size", [0, -5, 100_001, 1.5])
async def test_logo_size_must_be_a_pixel_count(session, client, size):
    editor = {"Authorization": f"Bearer {make_key(session, 'content:write')}"}
    site = {"name": "Times", "url": "https://news.example.org", "timezone": "UTC", "language": "en"}
    response = await client.patch("/v1/site", json={**site, "logo_width": size}, headers=editor)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["logo_width"]
