"""IPTC ninjs 2.2 and 3.1, validated against the IPTC's own schemas."""

from datetime import timedelta

import pytest

from app.articles.blocks import body_columns
from app.db import utcnow
from app.demo.generate import generate
from app.demo.seed import SLUG
from app.models import ArticleStatus
from tests.factories import (
    make_article,
    make_author,
    make_key,
    make_photo,
    make_section,
    make_tag,
)
from tests.validators import ninjs_errors

pytestmark = pytest.mark.anyio

NINJS = "application/ninjs+json"
VERSIONS = {"ninjs": "2.2", "ninjs3": "3.1"}


async def _ninjs(client, ref: str, fmt: str = "ninjs", headers=None) -> dict:
    response = await client.get(f"/v1/articles/{ref}?format={fmt}", headers=headers or {})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == NINJS
    document = response.json()
    assert ninjs_errors(document, VERSIONS[fmt]) == []
    return document


def test_the_validator_rejects_what_the_schema_forbids():
    # 3.1's camelCase is not 2.2, and a date must be a date: the check can fail.
    assert ninjs_errors({"uri": "http://x.test/1", "versionCreated": "2025"}, "2.2")
    assert ninjs_errors({"uri": "http://x.test/1", "versioncreated": "yesterday"}, "2.2")
    assert ninjs_errors({"uri": "http://x.test/1", "pubStatus": "live"}, "3.1")
    assert ninjs_errors({"type": "text"}, "3.1")  # no uri
    assert ninjs_errors({"uri": "http://x.test/1"}, "3.1") == []


async def test_reference_page_as_ninjs_2_2(demo, client):
    doc = await _ninjs(client, SLUG)
    article = (await client.get(f"/v1/articles/{SLUG}")).json()["data"]
    assert doc["uri"] == f"http://byline.test/v1/articles/{article['id']}"
    assert doc["standard"] == {
        "name": "ninjs",
        "version": "2.2",
        "schema": "http://www.iptc.org/std/ninjs/ninjs-schema_2.2.json",
    }
    assert doc["type"] == "text"
    assert doc["pubstatus"] == "usable"
    assert doc["language"] == "en"
    assert doc["versioncreated"] == "2025-05-25T14:16:00Z"
    assert doc["firstcreated"] == "2025-05-25T14:16:00Z"
    assert doc["headlines"][0]["value"] == article["headline"]
    assert doc["by"] == "The Kyiv Independent news desk"
    # A desk is an organisation, not a person.
    assert doc["organisations"][0]["name"] == "The Kyiv Independent news desk"
    assert "people" not in doc
    html, text = doc["bodies"]
    assert (html["contenttype"], text["contenttype"]) == ("text/html", "text/plain")
    assert html["value"] == article["body_html"]
    assert text["value"].startswith("Russia's negotiating team in Istanbul")
    assert "<" not in text["value"]
    assert html["wordcount"] == text["wordcount"] == 236
    # Characters of text, not of markup, in both.
    assert html["charcount"] == text["charcount"] == len(text["value"])
    assert {(s["rel"], s["name"]) for s in doc["subjects"]} == {
        ("section", "News"),
        ("tag", "Peace talks"),
        ("tag", "Russia"),
    }
    assert doc["renditions"] == [
        {"name": "web", "href": article["canonical_url"], "contenttype": "text/html"}
    ]
    assert "embargoed" not in doc


async def test_reference_page_lead_photo_is_an_association_with_its_rights(demo, client):
    [photo] = (await _ninjs(client, SLUG))["associations"]
    assert photo["name"] == "leadphoto"
    assert photo["type"] == "picture"
    assert photo["uri"].startswith("http://byline.test/v1/photos/pho_")
    assert photo["by"] == "Arda Kucukkaya"
    assert photo["copyrightholder"] == "Anadolu via Getty Images"
    assert photo["usageterms"].startswith("Editorial use on the publication's own pages")
    assert photo["copyrightnotice"] == "Photo by Arda Kucukkaya/Anadolu via Getty Images"
    assert photo["descriptions"][0]["value"].startswith("ISTANBUL, TURKIYE - MAY 15")
    assert photo["renditions"][0]["href"].endswith("/original.jpg")
    assert "rel" not in photo  # 3.0 added it


async def test_reference_page_as_ninjs_3_1(demo, client):
    doc = await _ninjs(client, SLUG, "ninjs3")
    assert doc["standard"]["version"] == "3.1"
    assert doc["pubStatus"] == "usable"
    assert doc["versionCreated"] == "2025-05-25T14:16:00Z"
    assert doc["bodies"][1]["wordCount"] == 236
    assert doc["associations"][0]["rel"] == "lead"
    assert doc["associations"][0]["copyrightHolder"] == "Anadolu via Getty Images"


async def test_accept_header_chooses_ninjs_2_2(demo, client):
    response = await client.get(f"/v1/articles/{SLUG}", headers={"Accept": NINJS})
    assert response.headers["content-type"] == NINJS
    assert response.json()["standard"]["version"] == "2.2"
    # `format=` wins over Accept, and the JSON default is unchanged.
    as_json = await client.get(f"/v1/articles/{SLUG}?format=json", headers={"Accept": NINJS})
    assert as_json.headers["content-type"] == "application/json"
    assert "data" in as_json.json()
    plain = await client.get(f"/v1/articles/{SLUG}")
    assert plain.json()["data"]["slug"] == SLUG


async def test_render_cache_keeps_each_representation_apart(demo, client):
    url = f"/v1/articles/{SLUG}"
    ninjs = await client.get(url, headers={"Accept": NINJS})
    json = await client.get(url)
    again = await client.get(url, headers={"Accept": NINJS})
    assert (ninjs.headers["x-cache"], json.headers["x-cache"]) == ("MISS", "MISS")
    assert again.headers["x-cache"] == "HIT"
    assert again.content == ninjs.content != json.content


async def test_bad_format_and_fields_with_a_format_are_400(demo, client):
    assert (await client.get(f"/v1/articles/{SLUG}?format=xml")).status_code == 400
    response = await client.get(f"/v1/articles/{SLUG}?format=ninjs&fields=headline")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "fields"


async def test_person_authors_body_photos_dateline_and_genre(session, client):
    person = make_author(session, name="Olena Example", url="https://news.example.org/olena/")
    lead = make_photo(
        session, photographer="P. One", width=2000, height=1000, mime_type="image/jpeg"
    )
    inline = make_photo(
        session,
        caption="Inline",
        renditions=[{"width": 320, "height": 160, "url": "https://media.test/i/320.jpg"}],
    )
    body = [{"type": "paragraph", "html": "Text."}, {"type": "photo", "photo_id": inline.id}]
    article = make_article(
        session,
        authors=[person],
        type="analysis",
        dateline="KYIV",
        subheadline="Sub",
        summary="Short",
        lead_photo_id=lead.id,
        **body_columns(body),
    )
    for fmt in VERSIONS:
        doc = await _ninjs(client, article.id, fmt)
        assert doc["located"] == "KYIV"
        assert doc["people"] == [
            {
                "name": "Olena Example",
                "rel": "author",
                "literal": person.slug,
                "uri": "https://news.example.org/olena/",
            }
        ]
        assert doc["genres"] == [{"name": "Analysis", "literal": "analysis"}]
        assert [h["value"] for h in doc["headlines"]] == [article.headline, "Sub"]
        assert doc["descriptions"][0]["value"] == "Short"
        names = [a["name"] for a in doc["associations"]]
        assert names == ["leadphoto", "bodyphoto1"]
        body_photo = doc["associations"][1]
        assert [r["name"] for r in body_photo["renditions"]] == ["original", "w320"]


async def test_every_generated_story_validates_in_both_versions(demo, client):
    generate(demo, count=40, seed=11)
    listed = (await client.get("/v1/articles?limit=100")).json()["data"]
    assert len(listed) > 30
    for article in listed:
        for fmt in VERSIONS:
            doc = await _ninjs(client, article["id"], fmt)
            assert doc["headlines"][0]["value"] == article["headline"]


async def test_preview_of_a_draft_is_withheld(session, client):
    draft = make_article(
        session, status=ArticleStatus.draft, published_at=None, first_published_at=None
    )
    preview = make_key(session, "content:preview")
    headers = {"Authorization": f"Bearer {preview}"}
    doc = await _ninjs(client, draft.id, "ninjs3", headers=headers)
    assert doc["pubStatus"] == "withheld"
    assert "firstCreated" not in doc
    assert (await client.get(f"/v1/articles/{draft.id}?format=ninjs")).status_code == 404


# --- Partners: the rights-filtered version.


@pytest.fixture
def syndication(session):
    ours = make_section(session, slug="ours")
    getty = make_photo(session, syndication_allowed=False, copyright_holder="Getty Images")
    staff = make_photo(session, syndication_allowed=True, copyright_holder="Staff")
    agency_story = make_article(session, section_id=ours.id, lead_photo_id=getty.id)
    staff_story = make_article(session, section_id=ours.id, lead_photo_id=staff.id)
    embargo = utcnow().replace(microsecond=0) + timedelta(hours=2)
    embargoed = make_article(session, section_id=ours.id, embargo_until=embargo)
    elsewhere = make_article(session, section_id=make_section(session).id, tags=[make_tag(session)])
    partner = make_key(session, "partner", sections=["ours"])
    early = make_key(session, "partner", sections=["ours"], advance_embargo=True)
    return locals()


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.mark.parametrize("fmt", list(VERSIONS))
async def test_partner_gets_no_association_for_a_photo_without_rights(syndication, client, fmt):
    s = syndication
    doc = await _ninjs(client, s["agency_story"].id, fmt, headers=bearer(s["partner"]))
    assert "associations" not in doc
    assert "Getty Images" not in str(doc)
    staff = await _ninjs(client, s["staff_story"].id, fmt, headers=bearer(s["partner"]))
    assert [a["uri"].rsplit("/", 1)[1] for a in staff["associations"]] == [s["staff"].id]
    public = await _ninjs(client, s["agency_story"].id, fmt)
    assert len(public["associations"]) == 1


async def test_partner_answer_is_private_and_outside_stories_are_404(syndication, client):
    s = syndication
    response = await client.get(
        f"/v1/articles/{s['staff_story'].id}?format=ninjs", headers=bearer(s["partner"])
    )
    assert response.headers["cache-control"].startswith("private")
    hidden = await client.get(
        f"/v1/articles/{s['elsewhere'].id}?format=ninjs", headers=bearer(s["partner"])
    )
    assert hidden.status_code == 404


async def test_advance_embargo_partner_gets_the_story_marked_embargoed(syndication, client):
    s = syndication
    until = s["embargo"].isoformat().replace("+00:00", "Z")
    doc = await _ninjs(client, s["embargoed"].id, headers=bearer(s["early"]))
    assert doc["embargoed"] == until
    doc3 = await _ninjs(client, s["embargoed"].id, "ninjs3", headers=bearer(s["early"]))
    assert doc3["embargoedUntil"] == until
    for headers in (bearer(s["partner"]), {}):
        response = await client.get(
            f"/v1/articles/{s['embargoed'].id}?format=ninjs", headers=headers
        )
        assert response.status_code == 404
