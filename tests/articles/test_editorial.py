"""The editorial API on articles: create, merge-patch with If-Match, workflow, related cards,
corrections, revisions, audit."""

from datetime import timedelta

import pytest

from app.db import utcnow
from tests.factories import make_author, make_key, make_section

pytestmark = pytest.mark.anyio


@pytest.fixture
def editor(session) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_key(session, 'content:write', 'content:preview')}"}


async def create(client, editor, **body):
    response = await client.post(
        "/v1/articles", json={"headline": "A story", **body}, headers=editor
    )
    assert response.status_code == 201, response.text
    return response


async def test_create_makes_a_draft_with_revision_one(client, session, editor):
    section = make_section(session, slug="world")
    author = make_author(session, slug="jane")
    response = await create(
        client,
        editor,
        headline="Talks in Istanbul",
        section="world",
        authors=[{"author": "jane", "role": "reporter"}],
        body=[{"type": "paragraph", "html": "One <em>two</em> three."}],
    )
    data = response.json()["data"]
    assert data["status"] == "draft"
    assert data["slug"] == "talks-in-istanbul"
    assert data["section"]["id"] == section.id
    assert data["authors"][0]["id"] == author.id and data["authors"][0]["role"] == "reporter"
    assert data["word_count"] == 3
    assert data["version"] == 1
    assert response.headers["etag"].startswith('"1-')
    assert response.headers["location"] == f"/v1/articles/{data['id']}"
    # A draft is nobody's business but the newsroom's.
    assert (await client.get(f"/v1/articles/{data['id']}")).status_code == 404


async def test_patch_needs_if_match(client, editor):
    data = (await create(client, editor)).json()["data"]
    response = await client.patch(
        f"/v1/articles/{data['id']}", json={"headline": "New"}, headers=editor
    )
    assert response.status_code == 428
    assert response.headers["content-type"] == "application/problem+json"


async def test_patch_with_stale_etag_is_refused_and_writes_nothing(client, editor):
    created = await create(client, editor)
    ref = created.json()["data"]["id"]
    etag = created.headers["etag"]
    first = await client.patch(
        f"/v1/articles/{ref}", json={"headline": "First"}, headers={**editor, "If-Match": etag}
    )
    assert first.status_code == 200
    assert first.json()["data"]["version"] == 2
    second = await client.patch(
        f"/v1/articles/{ref}", json={"headline": "Second"}, headers={**editor, "If-Match": etag}
    )
    assert second.status_code == 412
    current = await client.get(f"/v1/articles/{ref}", headers=editor)
    assert current.json()["data"]["headline"] == "First"
    assert current.json()["data"]["version"] == 2


async def test_publish_makes_it_public_and_keeps_first_published_at(client, editor):
    ref = (await create(client, editor)).json()["data"]["id"]
    published = await client.post(f"/v1/articles/{ref}/publish", headers=editor)
    assert published.status_code == 200, published.text
    first = published.json()["data"]["first_published_at"]
    assert (await client.get(f"/v1/articles/{ref}")).status_code == 200
    assert (await client.post(f"/v1/articles/{ref}/unpublish", headers=editor)).status_code == 200
    assert (await client.get(f"/v1/articles/{ref}")).status_code == 404
    again = await client.post(f"/v1/articles/{ref}/publish", headers=editor)
    assert again.json()["data"]["first_published_at"] == first
    assert again.json()["data"]["published_at"] == published.json()["data"]["published_at"]


async def test_schedule_shows_the_story_from_publish_at(client, editor):
    ref = (await create(client, editor)).json()["data"]["id"]
    at = (utcnow() + timedelta(hours=1)).isoformat()
    response = await client.post(
        f"/v1/articles/{ref}/schedule", json={"publish_at": at}, headers=editor
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["status"] == "scheduled"
    assert (await client.get(f"/v1/articles/{ref}")).status_code == 404
    past = await client.post(
        f"/v1/articles/{ref}/schedule",
        json={"publish_at": (utcnow() - timedelta(hours=1)).isoformat()},
        headers=editor,
    )
    assert past.status_code == 422
    assert past.json()["errors"][0]["field"] == "publish_at"


async def test_related_card_placed_inline(client, session, editor):
    target = (await create(client, editor, headline="Prisoner swap")).json()["data"]["id"]
    await client.post(f"/v1/articles/{target}/publish", headers=editor)
    ref = (await create(client, editor)).json()["data"]["id"]
    added = await client.post(
        f"/v1/articles/{ref}/related", json={"article": target}, headers=editor
    )
    assert added.status_code == 201, added.text
    card = added.json()["data"]["related"][0]
    assert card["title"] == "Prisoner swap" and card["inline"] is False
    patched = await client.patch(
        f"/v1/articles/{ref}",
        json={
            "body": [
                {"type": "paragraph", "html": "Text."},
                {"type": "related", "related_id": card["id"]},
            ]
        },
        headers={**editor, "If-Match": added.headers["etag"]},
    )
    assert patched.status_code == 200, patched.text
    data = patched.json()["data"]
    assert data["related"][0]["inline"] is True
    assert data["body"][1]["related"]["title"] == "Prisoner swap"
    assert 'class="related"' in data["body_html"]


async def test_revisions_diff_and_restore(client, editor):
    created = await create(client, editor, headline="Before")
    ref = created.json()["data"]["id"]
    patched = await client.patch(
        f"/v1/articles/{ref}",
        json={"headline": "After"},
        headers={**editor, "If-Match": created.headers["etag"]},
    )
    revisions = (await client.get(f"/v1/articles/{ref}/revisions", headers=editor)).json()["data"]
    assert [r["number"] for r in revisions] == [2, 1]
    diff = (await client.get(f"/v1/articles/{ref}/revisions/2/diff", headers=editor)).json()["data"]
    assert {"field": "headline", "before": "Before", "after": "After"} in diff["changes"]
    restored = await client.post(f"/v1/articles/{ref}/revisions/1/restore", headers=editor)
    assert restored.status_code == 200
    assert restored.json()["data"]["headline"] == "Before"
    assert restored.json()["data"]["version"] == 3
    assert patched.json()["data"]["version"] == 2


async def test_corrections_are_appended_and_public(client, editor):
    ref = (await create(client, editor)).json()["data"]["id"]
    await client.post(f"/v1/articles/{ref}/publish", headers=editor)
    response = await client.post(
        f"/v1/articles/{ref}/corrections",
        json={"text": "An earlier version misspelled a name."},
        headers=editor,
    )
    assert response.status_code == 201
    public = (await client.get(f"/v1/articles/{ref}")).json()["data"]
    assert public["corrections"][0]["text"] == "An earlier version misspelled a name."
