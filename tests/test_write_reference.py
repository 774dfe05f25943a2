"""An editor writes the whole reference page through the API alone, publishes it, and a
reader then gets exactly what `byline demo` loads."""

import re
from typing import Any

import pytest
from sqlalchemy import delete

from app.demo import seed
from app.models import (
    Article,
    ArticleAuthor,
    ArticleRevision,
    ArticleTag,
    Author,
    FeedEntry,
    Photo,
    RelatedLink,
    Section,
    Site,
    Tag,
)
from tests.factories import make_key

pytestmark = pytest.mark.anyio

IDS = re.compile(r"\b(?:art|aut|sec|tag|pho|rel|fe|cor)_[0-9a-f]{24}\b")
# Bookkeeping that differs by how content was written, not what readers are told.
UNSTABLE = {"updated_at", "version"}


def normalized(value: Any, names: dict[str, str] | None = None) -> Any:
    """`value` with ids renamed in order of appearance and bookkeeping fields dropped."""
    names = {} if names is None else names
    if isinstance(value, dict):
        return {k: normalized(v, names) for k, v in value.items() if k not in UNSTABLE}
    if isinstance(value, list):
        return [normalized(v, names) for v in value]
    if isinstance(value, str):
        return IDS.sub(lambda m: names.setdefault(m.group(), f"id{len(names)}"), value)
    return value


async def write_reference_page(client, headers: dict[str, str]) -> None:
    async def post(path: str, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
        response = await client.post(path, json=body, headers=headers)
        assert response.status_code == status, response.text
        return response.json()["data"]

    site = await client.patch(
        "/v1/site",
        json={
            "name": "The Kyiv Independent",
            "url": seed.SITE_URL,
            "timezone": "Europe/Kyiv",
            "language": "en",
            "banner_text": "Stand behind Ukrainian independent journalism when it’s needed "
            "most. Help us reach 20,000 members.",
            "banner_url": f"{seed.SITE_URL}/membership/",
            "banner_cta": "Become a member",
            "logo_url": f"{seed.SITE_URL}/assets/kyiv-independent-logo.png",
        },
        headers=headers,
    )
    assert site.status_code == 200, site.text
    await post("/v1/sections", {"slug": "news", "name": "News"})
    for name in ("Peace talks", "Russia", "Prisoner exchange"):
        await post("/v1/tags", {"name": name})
    await post(
        "/v1/authors",
        {
            "name": "The Kyiv Independent news desk",
            "kind": "desk",
            "url": f"{seed.SITE_URL}/authors/kyiv-independent-news-desk/",
            "slug": "kyiv-independent-news-desk",
        },
    )
    await post(
        "/v1/authors",
        {"name": "Martin Fornusek", "url": f"{seed.SITE_URL}/authors/martin-fornusek/"},
    )
    # The demo's stand-in image, uploaded as an editor would upload the agency's photo.
    uploaded = await client.post(
        "/v1/photos",
        files={"file": ("istanbul-talks-fidan-medinskiy.jpg", seed.stand_in_photo(), "image/jpeg")},
        data={**seed.LEAD_PHOTO},
        headers=headers,
    )
    assert uploaded.status_code == 201, uploaded.text
    photo = uploaded.json()["data"]
    pows = await post(
        "/v1/articles",
        {
            "slug": seed.RELATED_SLUG,
            "headline": "Ukraine brings home 307 POWs in 2nd phase of major prisoner swap "
            "with Russia",
            "summary": seed.RELATED_SUMMARY,
            "section": "news",
            "authors": ["martin-fornusek"],
            "tags": ["prisoner-exchange"],
            "body": [{"type": "paragraph", "html": seed.RELATED_SUMMARY}],
        },
    )
    await post(f"/v1/articles/{pows['id']}/publish", {"published_at": "2025-05-24T13:05:00Z"}, 200)
    article = await post(
        "/v1/articles",
        {
            "slug": seed.SLUG,
            "headline": "Russia 'categorically' rejected unconditional ceasefire in peace "
            "talks, Ukrainian official says",
            "section": "news",
            "authors": [{"author": "kyiv-independent-news-desk", "role": "author"}],
            "tags": ["peace-talks", "russia"],
            "lead_photo": photo["id"],
            "body": [{"type": "paragraph", "html": p} for p in seed.BODY],
        },
    )
    with_card = await client.post(
        f"/v1/articles/{article['id']}/related", json={"article": pows["slug"]}, headers=headers
    )
    assert with_card.status_code == 201, with_card.text
    card = with_card.json()["data"]["related"][0]["id"]
    body = [*article["body"], {"type": "related", "related_id": card}]
    placed = await client.patch(
        f"/v1/articles/{article['id']}",
        json={"body": body},
        headers={**headers, "If-Match": with_card.headers["etag"]},
    )
    assert placed.status_code == 200, placed.text
    await post(
        f"/v1/articles/{article['id']}/publish", {"published_at": "2025-05-25T14:16:00Z"}, 200
    )
    for at, kind, title, summary in seed.FEED:
        await post(
            "/v1/feed",
            {"kind": kind, "title": title, "summary": summary, "published_at": at.isoformat()},
        )


async def reader_view(client) -> dict[str, Any]:
    article = await client.get(f"/v1/articles/{seed.SLUG}")
    assert article.status_code == 200, article.text
    feed = await client.get("/v1/feed")
    site = await client.get("/v1/site")
    return normalized(
        {"article": article.json()["data"], "feed": feed.json()["data"], "site": site.json()}
    )


async def test_the_reference_page_written_through_the_api_reads_as_the_demo(client, session):
    from app.demo.seed import load_reference

    editor = {"Authorization": f"Bearer {make_key(session, 'content:write')}"}
    await write_reference_page(client, editor)
    written = await reader_view(client)

    # Start again from nothing, and load the demo instead.
    for model in (FeedEntry, RelatedLink, ArticleTag, ArticleAuthor, ArticleRevision, Article):
        session.execute(delete(model))
    for model in (Photo, Author, Tag, Section, Site):
        session.execute(delete(model))
    session.commit()
    load_reference(session)
    loaded = await reader_view(client)

    assert written == loaded
    assert written["article"]["lead_photo"]["credit"].startswith("Photo by Arda Kucukkaya")
    assert [e["kind"] for e in written["feed"]] == ["video", "news", "video"]
    assert written["article"]["reading_time_minutes"] == 2
    assert written["article"]["body"][-1]["related"]["title"].startswith("Ukraine brings home")
