"""The outbox: each editorial write leaves its events in its own transaction, named by
what readers see; a scheduled story's `article.published` is written then and falls due
at its time."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.db import utcnow
from app.models import Event
from tests.factories import make_author, make_key, make_section

pytestmark = pytest.mark.anyio


@pytest.fixture
def editor(session) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_key(session, 'content:write', 'content:preview')}"}


def events(session, subject_id: str | None = None) -> list[Event]:
    session.expire_all()
    stmt = select(Event).order_by(Event.created_at, Event.id)
    if subject_id:
        stmt = stmt.where(Event.subject_id == subject_id)
    return list(session.scalars(stmt))


async def draft(client, editor, **body) -> dict:
    response = await client.post(
        "/v1/articles", json={"headline": "A story", **body}, headers=editor
    )
    assert response.status_code == 201, response.text
    return response.json()["data"]


async def post(client, editor, path: str, body: dict | None = None) -> dict:
    response = await client.post(path, json=body or {}, headers=editor)
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def test_create_publish_update_unpublish_delete_each_leave_their_event(
    client, session, editor
):
    make_section(session, slug="world")
    author = make_author(session)
    article = await draft(client, editor, section="world", authors=[author.id])
    ref = f"/v1/articles/{article['id']}"
    await post(client, editor, f"{ref}/publish")
    published = (await client.get(ref, headers=editor)).headers["etag"]
    patched = await client.patch(
        ref, json={"headline": "New"}, headers={**editor, "If-Match": published}
    )
    assert patched.status_code == 200
    await post(client, editor, f"{ref}/unpublish")
    etag = (await client.get(ref, headers=editor)).headers["etag"]
    assert (await client.delete(ref, headers={**editor, "If-Match": etag})).status_code == 204

    kinds = [e.type for e in events(session, article["id"])]
    assert kinds == [
        "article.created",
        "article.published",
        "article.updated",
        "article.unpublished",
        "article.deleted",
    ]
    update = events(session, article["id"])[2]
    assert update.data["fields"] == ["headline"]
    assert update.data["article"]["headline"] == "New"
    assert update.data["article"]["section"] == "world"
    assert update.data["article"]["authors"] == [author.id]
    assert "body" not in update.data["article"]
    # Its answers, and the lists it is in: all stories', its section's, its author's.
    assert {
        f"article:{article['id']}",
        "articles",
        "articles:section:world",
        f"articles:author:{author.id}",
    } <= set(update.data["surrogate_keys"])


async def test_a_refused_write_leaves_no_event(client, session, editor):
    article = await draft(client, editor)
    before = len(events(session))
    stale = await client.patch(
        f"/v1/articles/{article['id']}",
        json={"headline": "Late"},
        headers={**editor, "If-Match": '"99-0000000000000000"'},
    )
    assert stale.status_code == 412
    invalid = await client.patch(
        f"/v1/articles/{article['id']}",
        json={"section": "nowhere"},
        headers={**editor, "If-Match": '"1-0"'},
    )
    assert invalid.status_code == 422
    assert len(events(session)) == before


async def test_scheduling_writes_the_published_event_due_at_its_time(client, session, editor):
    article = await draft(client, editor)
    at = (utcnow() + timedelta(hours=2)).replace(microsecond=0)
    await post(
        client, editor, f"/v1/articles/{article['id']}/schedule", {"publish_at": at.isoformat()}
    )
    kinds = {e.type: e for e in events(session, article["id"])}
    assert kinds["article.scheduled"].data["visible_at"] == at.isoformat().replace("+00:00", "Z")
    due = kinds["article.published"]
    assert due.occurred_at == at and due.dispatched_at is None
    # As readers will see it then: published.
    assert due.data["article"]["status"] == "published"


async def test_rescheduling_replaces_the_due_event_and_unpublishing_drops_it(
    client, session, editor
):
    article = await draft(client, editor)
    ref = f"/v1/articles/{article['id']}"
    first = utcnow() + timedelta(hours=1)
    later = (utcnow() + timedelta(hours=3)).replace(microsecond=0)
    await post(client, editor, f"{ref}/schedule", {"publish_at": first.isoformat()})
    await post(client, editor, f"{ref}/schedule", {"publish_at": later.isoformat()})
    due = [e for e in events(session, article["id"]) if e.type == "article.published"]
    assert [e.occurred_at for e in due] == [later]
    await post(client, editor, f"{ref}/unpublish")
    assert not [e for e in events(session, article["id"]) if e.type == "article.published"]
    # Taking down a story readers were still waiting for says so.
    assert events(session, article["id"])[-1].type == "article.unpublished"


async def test_publishing_under_embargo_is_announced_when_the_embargo_ends(client, session, editor):
    article = await draft(client, editor)
    until = (utcnow() + timedelta(hours=1)).replace(microsecond=0)
    await post(
        client,
        editor,
        f"/v1/articles/{article['id']}/publish",
        {"embargo_until": until.isoformat()},
    )
    kinds = [(e.type, e.occurred_at) for e in events(session, article["id"])]
    assert kinds[1][0] == "article.scheduled"
    assert ("article.published", until) in kinds


async def test_simple_resources_announce_their_writes(client, session, editor):
    created = await client.post(
        "/v1/feed", json={"title": "Sirens in Kyiv", "kind": "breaking"}, headers=editor
    )
    assert created.status_code == 201
    entry = created.json()["data"]
    etag = created.headers["etag"]
    patched = await client.patch(
        f"/v1/feed/{entry['id']}", json={"title": "All clear"}, headers={**editor, "If-Match": etag}
    )
    assert patched.status_code == 200
    section = await client.post("/v1/sections", json={"name": "Business"}, headers=editor)
    assert section.status_code == 201

    kinds = [(e.type, e.subject_id) for e in events(session)]
    assert ("feed_entry.created", entry["id"]) in kinds
    assert ("feed_entry.updated", entry["id"]) in kinds
    assert ("section.created", section.json()["data"]["id"]) in kinds
    update = next(e for e in events(session, entry["id"]) if e.type == "feed_entry.updated")
    assert update.data["feed_entry"]["title"] == "All clear"
    assert update.data["fields"] == ["title"]
    assert f"feed_entry:{entry['id']}" in update.data["surrogate_keys"]


async def test_a_section_that_cannot_be_deleted_leaves_no_event(client, session, editor):
    make_section(session, slug="world")
    await draft(client, editor, section="world")
    section = await client.get("/v1/sections/world")
    refused = await client.delete(
        "/v1/sections/world", headers={**editor, "If-Match": section.headers["etag"]}
    )
    assert refused.status_code == 409
    assert not [e for e in events(session) if e.type == "section.deleted"]


async def test_a_save_racing_another_reads_what_readers_saw_from_the_revision(
    client, session, editor
):
    from app.articles import saving
    from app.articles.schemas import ArticleUpdate
    from app.editorial import Editor
    from app.models import Article

    article = await draft(client, editor)
    stale = session.get(Article, article["id"])  # this session's copy: a draft, version 1
    await post(client, editor, f"/v1/articles/{article['id']}/publish")  # another request
    # A save that loaded the story before that publish went through: the story it holds
    # is a draft, but readers already see it, so this save only updates it.
    assert stale.status == "draft" and stale.version == 1
    who = Editor(key_id=None, key_name=None, request_id=None, if_match="*")
    saving.update_article(session, who, ref=article["id"], data=ArticleUpdate(headline="Later"))
    kinds = [e.type for e in events(session, article["id"])]
    assert kinds == ["article.created", "article.published", "article.updated"]


async def test_moving_an_embargo_of_a_scheduled_story_reschedules_it(client, session, editor):
    article = await draft(client, editor)
    ref = f"/v1/articles/{article['id']}"
    at = utcnow() + timedelta(hours=1)
    await post(client, editor, f"{ref}/schedule", {"publish_at": at.isoformat()})
    until = (utcnow() + timedelta(hours=5)).replace(microsecond=0)
    etag = (await client.get(ref, headers=editor)).headers["etag"]
    moved = await client.patch(
        ref, json={"embargo_until": until.isoformat()}, headers={**editor, "If-Match": etag}
    )
    assert moved.status_code == 200
    last = [e for e in events(session, article["id"]) if e.occurred_at <= utcnow()][-1]
    assert last.type == "article.scheduled"
    due = [e.occurred_at for e in events(session, article["id"]) if e.type == "article.published"]
    assert due == [until]


async def test_a_renamed_tag_purges_its_old_slug_too(client, session, editor):
    created = await client.post("/v1/tags", json={"name": "Drones"}, headers=editor)
    tag = created.json()["data"]
    renamed = await client.patch(
        f"/v1/tags/{tag['id']}",
        json={"slug": "uavs"},
        headers={**editor, "If-Match": created.headers["etag"]},
    )
    assert renamed.status_code == 200
    update = next(e for e in events(session, tag["id"]) if e.type == "tag.updated")
    assert {"tag:drones", "tag:uavs"} <= set(update.data["surrogate_keys"])


async def test_a_site_change_announces_the_site(client, session, editor):
    body = {"name": "The Daily", "url": "https://daily.test", "timezone": "UTC", "language": "en"}
    assert (await client.patch("/v1/site", json=body, headers=editor)).status_code == 200
    [event] = [e for e in events(session) if e.type == "site.updated"]
    assert event.subject_type == "site" and event.subject_id == "1"
    assert event.data["site"]["name"] == "The Daily"
    assert event.data["surrogate_keys"] == ["site"]
