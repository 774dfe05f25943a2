"""The Google News sitemap: the last 48 hours, at most 1,000 stories."""

from datetime import datetime, timedelta
from xml.etree import ElementTree as ET

import pytest

from app.articles.blocks import body_columns
from app.db import utcnow
from app.ids import new_id
from app.models import Article, ArticleStatus, Site
from tests.factories import make_article, make_key, make_section
from tests.validators import news_sitemap_errors

pytestmark = pytest.mark.anyio

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"


def urls(response) -> list[ET.Element]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/xml; charset=utf-8"
    root = ET.fromstring(response.content)
    assert root.tag == f"{SM}urlset"
    return root.findall(f"{SM}url")


def story(session, hours_ago: float, **kw) -> Article:
    at = utcnow() - timedelta(hours=hours_ago)
    slug = f"s-{new_id('x')}"
    values = {
        "published_at": at,
        "first_published_at": at,
        "updated_at": at,
        "created_at": at,
        "slug": slug,
        "canonical_url": f"https://news.example.org/{slug}/",
        **kw,
    }
    return make_article(session, **values)


@pytest.fixture
def site(session):
    session.add(
        Site(
            name="The Example Times", url="https://news.example.org", timezone="UTC", language="en"
        )
    )
    session.commit()


async def test_last_48_hours_only(site, session, client):
    recent = story(session, 1, headline="One hour ago")
    translated = story(session, 47, headline="Вчора", language="uk")
    story(session, 49, headline="Too old")
    story(session, -1, status=ArticleStatus.scheduled, headline="Not yet")
    story(session, 2, status=ArticleStatus.draft, headline="Draft")
    story(session, 3, embargo_until=utcnow() + timedelta(hours=1), headline="Embargoed")
    story(session, 4, canonical_url=None, headline="No web page")
    found = urls(await client.get("/v1/sitemaps/news.xml"))
    assert [u.findtext(f"{SM}loc") for u in found] == [
        recent.canonical_url,
        translated.canonical_url,
    ]
    first = found[0].find(f"{NEWS}news")
    assert first.findtext(f"{NEWS}publication/{NEWS}name") == "The Example Times"
    assert first.findtext(f"{NEWS}publication/{NEWS}language") == "en"
    assert first.findtext(f"{NEWS}title") == "One hour ago"
    published = datetime.fromisoformat(first.findtext(f"{NEWS}publication_date"))
    assert abs(published - recent.published_at) < timedelta(seconds=1)
    assert found[1].findtext(f"{NEWS}news/{NEWS}publication/{NEWS}language") == "uk"
    for url in found:
        when = datetime.fromisoformat(url.findtext(f"{NEWS}news/{NEWS}publication_date"))
        assert utcnow() - when <= timedelta(hours=48)


async def test_valid_against_the_sitemap_and_news_schemas(site, session, client):
    story(session, 1, headline="Ships & <ports>")
    story(session, 5, headline="Вчора", language="uk")
    story(session, 6, headline="台北", language="zh-TW")
    response = await client.get("/v1/sitemaps/news.xml")
    assert len(urls(response)) == 3
    assert news_sitemap_errors(response.content) == []


async def test_no_story_in_the_window_still_answers_a_valid_urlset(site, session, client):
    story(session, 49, headline="Too old")
    response = await client.get("/v1/sitemaps/news.xml")
    assert news_sitemap_errors(response.content) == []
    # The home page, without news metadata: what Google asks for a URL that is no news story.
    [home] = urls(response)
    assert home.findtext(f"{SM}loc") == "https://news.example.org"
    assert home.find(f"{NEWS}news") is None


async def test_before_the_site_is_set_up_the_fallback_is_the_api_address(session, client):
    response = await client.get("/v1/sitemaps/news.xml")
    assert news_sitemap_errors(response.content) == []
    assert [u.findtext(f"{SM}loc") for u in urls(response)] == ["http://byline.test/"]


async def test_partner_with_nothing_in_the_window_gets_the_home_page(site, session, client):
    story(session, 1, section_id=make_section(session).id)
    partner = make_key(session, "partner", sections=["ours"])
    response = await client.get("/v1/sitemaps/news.xml", headers={"X-API-Key": partner})
    assert news_sitemap_errors(response.content) == []
    assert [u.find(f"{NEWS}news") for u in urls(response)] == [None]


async def test_namespaces_are_declared_once_on_the_root(site, session, client):
    story(session, 1)
    text = (await client.get("/v1/sitemaps/news.xml")).text
    assert text.startswith("<?xml version='1.0' encoding='utf-8'?>\n<urlset ")
    assert 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"' in text
    assert 'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"' in text


async def test_at_most_1000_newest(site, session, client):
    now = utcnow()
    rows = []
    for n in range(1005):
        at = now - timedelta(minutes=n + 1)
        rows.append(
            Article(
                id=new_id("art"),
                slug=f"bulk-{n}",
                headline=f"Bulk {n}",
                status=ArticleStatus.published,
                published_at=at,
                first_published_at=at,
                created_at=at,
                updated_at=at,
                canonical_url=f"https://news.example.org/bulk-{n}/",
                **body_columns([{"type": "paragraph", "html": "Text."}]),
            )
        )
    session.add_all(rows)
    session.commit()
    found = urls(await client.get("/v1/sitemaps/news.xml"))
    assert len(found) == 1000
    assert found[0].findtext(f"{NEWS}news/{NEWS}title") == "Bulk 0"
    assert found[-1].findtext(f"{NEWS}news/{NEWS}title") == "Bulk 999"


async def test_partner_sees_only_its_stories(site, session, client):
    ours = make_section(session, slug="ours")
    mine = story(session, 1, section_id=ours.id)
    story(session, 1, section_id=make_section(session).id)
    partner = make_key(session, "partner", sections=["ours"])
    response = await client.get("/v1/sitemaps/news.xml", headers={"X-API-Key": partner})
    assert [u.findtext(f"{SM}loc") for u in urls(response)] == [mine.canonical_url]
    assert response.headers["cache-control"].startswith("private")
    assert len(urls(await client.get("/v1/sitemaps/news.xml"))) == 2


async def test_api_key_parameter_is_for_feeds_only(site, session, client):
    partner = make_key(session, "partner", sections=["ours"])
    response = await client.get("/v1/sitemaps/news.xml", params={"api_key": partner})
    assert response.status_code == 400
