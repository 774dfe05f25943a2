"""`GET /v1/sync`: the ordered change log, its cursors, tombstones and who sees what."""

from datetime import timedelta

import anyio
import pytest

from app.db import utcnow
from app.models import ArticleStatus
from app.sync import service
from tests.factories import (
    BASE,
    make_article,
    make_author,
    make_feed_entry,
    make_key,
    make_photo,
    make_section,
    make_tag,
)
from tests.test_query_count import count_statements

pytestmark = pytest.mark.anyio


@pytest.fixture(autouse=True)
def settled(monkeypatch):
    # Most tests read what they wrote a moment ago; the margin has a test of its own.
    monkeypatch.setattr(service, "SETTLE", timedelta(0))


@pytest.fixture
def editor(session) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_key(session, 'content:write', 'content:preview')}"}


def at(minutes: int) -> dict:
    t = BASE + timedelta(minutes=minutes)
    return {"created_at": t, "updated_at": t}


async def sync(client, cursor=None, limit=100, headers=None) -> dict:
    params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
    response = await client.get("/v1/sync", params=params, headers=headers or {})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["meta"]["next_cursor"]
    return body


def seen(body: dict) -> list[tuple[str, str, str]]:
    return [(i["type"], i["id"], i["action"]) for i in body["data"]]


async def test_ordered_log_across_types_with_objects_as_read(client, session):
    section = make_section(session, **at(1))
    tag = make_tag(session, **at(2))
    author = make_author(session, **at(3))
    photo = make_photo(session, **at(4))
    article = make_article(
        session,
        section_id=section.id,
        tags=[tag],
        authors=[author],
        lead_photo_id=photo.id,
        minutes_after=5,
    )
    entry = make_feed_entry(
        session, article_id=article.id, **at(6), published_at=at(6)["created_at"]
    )
    body = await sync(client)
    assert seen(body) == [
        ("section", section.id, "upsert"),
        ("tag", tag.id, "upsert"),
        ("author", author.id, "upsert"),
        ("photo", photo.id, "upsert"),
        ("article", article.id, "upsert"),
        ("feed_entry", entry.id, "upsert"),
    ]
    assert body["meta"]["has_more"] is False and body["links"]["next"] is None
    by_type = {i["type"]: i for i in body["data"]}
    read = (await client.get(f"/v1/articles/{article.id}")).json()["data"]
    assert by_type["article"]["data"] == read
    assert by_type["article"]["at"] == read["published_at"]
    assert (
        by_type["feed_entry"]["data"] == (await client.get(f"/v1/feed/{entry.id}")).json()["data"]
    )
    assert by_type["photo"]["data"] == (await client.get(f"/v1/photos/{photo.id}")).json()["data"]


async def test_pages_then_an_empty_page_with_a_cursor_then_only_newer(client, session):
    tags = [make_tag(session, **at(i)) for i in range(3)]
    first = await sync(client, limit=2)
    assert [i["id"] for i in first["data"]] == [tags[0].id, tags[1].id]
    assert first["meta"]["has_more"] is True
    assert "cursor=" in first["links"]["next"]
    second = await sync(client, first["meta"]["next_cursor"], limit=2)
    assert [i["id"] for i in second["data"]] == [tags[2].id]
    assert second["meta"]["has_more"] is False
    empty = await sync(client, second["meta"]["next_cursor"], limit=2)
    assert empty["data"] == [] and empty["meta"]["has_more"] is False
    later = make_tag(session, **at(10))
    resumed = await sync(client, empty["meta"]["next_cursor"])
    assert seen(resumed) == [("tag", later.id, "upsert")]


async def test_ties_in_time_break_by_type_then_id(client, session):
    same = at(1)
    tags = sorted([make_tag(session, **same).id for _ in range(3)])
    author = make_author(session, **same)
    ids = []
    cursor = None
    for _ in range(4):
        body = await sync(client, cursor, limit=1)
        ids += [i["id"] for i in body["data"]]
        cursor = body["meta"]["next_cursor"]
    assert ids == [author.id, *tags]


async def test_a_bad_cursor_is_a_400(client, session):
    response = await client.get("/v1/sync", params={"cursor": "bm90IGEgY3Vyc29y"})
    assert response.status_code == 400
    articles_cursor = (await client.get("/v1/articles?limit=1")).json()["meta"]["next_cursor"]
    if articles_cursor:
        assert (await client.get("/v1/sync", params={"cursor": articles_cursor})).status_code == 400


async def test_article_deleted_through_the_api_becomes_a_tombstone(client, session, editor):
    article = make_article(session)
    before = await sync(client)
    assert ("article", article.id, "upsert") in seen(before)
    gone = await client.delete(
        f"/v1/articles/{article.id}", headers={**editor, "If-Match": f'"{article.version}"'}
    )
    assert gone.status_code == 204
    after = await sync(client, before["meta"]["next_cursor"])
    assert seen(after) == [("article", article.id, "delete")]
    assert "data" not in after["data"][0]


@pytest.mark.parametrize(
    ("path", "make", "kind"),
    [
        ("sections", make_section, "section"),
        ("tags", make_tag, "tag"),
        ("authors", make_author, "author"),
        ("feed", make_feed_entry, "feed_entry"),
        ("photos", make_photo, "photo"),
    ],
)
async def test_every_kind_deleted_through_the_api_becomes_a_tombstone(
    client, session, editor, path, make, kind
):
    row = make(session)
    before = await sync(client)
    gone = await client.delete(f"/v1/{path}/{row.id}", headers={**editor, "If-Match": '"1"'})
    assert gone.status_code == 204, gone.text
    after = await sync(client, before["meta"]["next_cursor"])
    assert seen(after) == [(kind, row.id, "delete")]


async def test_a_deleted_draft_leaves_no_trace_for_readers(client, session, editor):
    draft = make_article(
        session, status=ArticleStatus.draft, published_at=None, first_published_at=None
    )
    gone = await client.delete(f"/v1/articles/{draft.id}", headers={**editor, "If-Match": '"1"'})
    assert gone.status_code == 204
    assert draft.id not in {i["id"] for i in (await sync(client))["data"]}
    assert ("article", draft.id, "delete") in seen(await sync(client, headers=editor))


async def test_unpublished_story_is_a_tombstone(client, session, editor):
    article = make_article(session)
    before = await sync(client)
    taken_down = await client.post(f"/v1/articles/{article.id}/unpublish", headers=editor)
    assert taken_down.status_code == 200, taken_down.text
    after = await sync(client, before["meta"]["next_cursor"])
    assert seen(after) == [("article", article.id, "delete")]
    assert "data" not in after["data"][0]


async def test_a_draft_never_appears_with_data(client, session, editor):
    draft = make_article(
        session,
        status=ArticleStatus.draft,
        published_at=None,
        first_published_at=None,
        updated_at=utcnow(),
    )
    reader = {"Authorization": f"Bearer {make_key(session, 'content:read')}"}
    for headers in ({}, reader):
        assert draft.id not in {i["id"] for i in (await sync(client, headers=headers))["data"]}
    previewed = [i for i in (await sync(client, headers=editor))["data"] if i["id"] == draft.id]
    assert previewed[0]["action"] == "upsert" and previewed[0]["data"]["status"] == "draft"


async def test_scheduled_story_arrives_once_its_time_has_come(client, session):
    make_article(session)
    soon = make_article(
        session,
        status=ArticleStatus.scheduled,
        published_at=utcnow() + timedelta(seconds=1),
        first_published_at=utcnow() + timedelta(seconds=1),
        updated_at=utcnow(),
    )
    before = await sync(client)
    assert soon.id not in {i["id"] for i in before["data"]}
    await anyio.sleep(1.2)
    resumed = await sync(client, before["meta"]["next_cursor"])
    assert [(i["id"], i["action"]) for i in resumed["data"]] == [(soon.id, "upsert")]
    assert resumed["data"][0]["data"]["status"] == "published"
    # The same request as before, which the render cache may hold, sees it too.
    again = await sync(client)
    assert soon.id in {i["id"] for i in again["data"]}


async def test_embargoed_story_arrives_when_the_embargo_ends(client, session):
    ends = utcnow() + timedelta(seconds=1)
    held = make_article(session, embargo_until=ends)
    before = await sync(client)
    assert held.id not in {i["id"] for i in before["data"]}
    await anyio.sleep(1.2)
    resumed = await sync(client, before["meta"]["next_cursor"])
    assert seen(resumed) == [("article", held.id, "upsert")]


async def test_partner_sees_its_own_and_a_story_leaving_its_view_is_a_tombstone(
    client, session, editor
):
    ours = make_section(session, slug="ours", **at(0))
    theirs = make_section(session, slug="theirs", **at(0))
    mine = make_article(session, section_id=ours.id)
    other = make_article(session, section_id=theirs.id)
    closed = make_photo(session, syndication_allowed=False, **at(0))
    partner = {"Authorization": f"Bearer {make_key(session, 'partner', sections=['ours'])}"}
    body = await sync(client, headers=partner)
    actions = {i["id"]: i["action"] for i in body["data"]}
    assert actions[mine.id] == "upsert"
    assert actions[other.id] == "delete"
    assert actions[closed.id] == "delete"
    assert all("data" not in i for i in body["data"] if i["action"] == "delete")
    moved = await client.patch(
        f"/v1/articles/{mine.id}",
        json={"section": "theirs"},
        headers={**editor, "If-Match": f'"{mine.version}"'},
    )
    assert moved.status_code == 200, moved.text
    after = await sync(client, body["meta"]["next_cursor"], headers=partner)
    assert seen(after) == [("article", mine.id, "delete")]
    # Everyone else just gets the new version.
    public = await sync(client, body["meta"]["next_cursor"])
    assert ("article", mine.id, "upsert") in seen(public)


async def test_the_last_cursor_stays_behind_the_settling_margin(client, session, monkeypatch):
    monkeypatch.setattr(service, "SETTLE", timedelta(hours=1))
    fresh = make_tag(session, created_at=utcnow(), updated_at=utcnow())  # stamped now
    body = await sync(client)
    assert ("tag", fresh.id, "upsert") in seen(body)
    # Resuming reads the last hour again: a commit stamped earlier cannot be skipped.
    again = await sync(client, body["meta"]["next_cursor"])
    assert ("tag", fresh.id, "upsert") in seen(again)
    assert service.decode(again["meta"]["next_cursor"])[0] <= utcnow() - timedelta(hours=1)


async def test_query_count_is_constant_per_page(engine, client, session):
    def content(n: int) -> None:
        section = make_section(session)
        author = make_author(session)
        tag = make_tag(session)
        for _ in range(n):
            photo = make_photo(session)
            article = make_article(
                session,
                section_id=section.id,
                authors=[author],
                tags=[tag],
                lead_photo_id=photo.id,
            )
            make_feed_entry(session, article_id=article.id)

    counts = []
    for n in (1, 10):
        content(n)
        with count_statements(engine) as statements:
            response = await client.get("/v1/sync?limit=100")
        assert response.status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1]
    assert counts[1] <= 25


async def test_articles_come_in_change_order_whichever_time_changed_last(client, session):
    # The change time is the latest of the save, the publication and the embargo's end
    # once passed: stories of each kind, interleaved in time, each once, in that order.
    def t(minutes: int):
        return BASE + timedelta(minutes=minutes)

    saved = make_article(session, published_at=t(1), first_published_at=t(1), **at(5))
    published = make_article(session, published_at=t(8), first_published_at=t(8), **at(2))
    embargoed = make_article(session, published_at=t(1), embargo_until=t(6), **at(3))
    tie = make_article(session, published_at=t(7), embargo_until=t(7), **at(4))
    both = make_article(session, published_at=t(9), embargo_until=t(4), **at(3))
    later = make_article(session, published_at=t(2), embargo_until=t(10), **at(1))
    expected = [
        (saved.id, t(5)),
        (embargoed.id, t(6)),
        (tie.id, t(7)),
        (published.id, t(8)),
        (both.id, t(9)),
        (later.id, t(10)),
    ]
    body = await sync(client, limit=100)
    got = [(i["id"], i["at"]) for i in body["data"] if i["type"] == "article"]
    assert got == [(id_, when.isoformat().replace("+00:00", "Z")) for id_, when in expected]
    # Two to a page, the same order across cursors.
    paged, cursor = [], None
    while True:
        page = await sync(client, cursor, limit=2)
        paged += [i["id"] for i in page["data"] if i["type"] == "article"]
        if not page["data"]:
            break
        cursor = page["meta"]["next_cursor"]
    assert paged == [id_ for id_, _ in expected]


async def test_a_feed_entry_changes_when_it_or_its_story_last_did_each_once_in_order(
    client, session
):
    """An entry's time in the log is the latest of its save, its publication and its
    story's change time (save, publication, end of embargo); whichever it is, the entry
    comes once, in order, on one page or on many."""

    def t(minutes: int):
        return BASE + timedelta(minutes=minutes)

    def story(saved: int, published: int, embargo: int | None = None):
        return make_article(
            session,
            created_at=t(0),
            updated_at=t(saved),
            published_at=t(published),
            embargo_until=None if embargo is None else t(embargo),
        )

    def entry(saved: int, published: int, article=None):
        return make_feed_entry(
            session,
            created_at=t(0),
            updated_at=t(saved),
            published_at=t(published),
            article_id=None if article is None else article.id,
        )

    expected = {
        entry(50, 10).id: t(50),  # its own save
        entry(10, 60).id: t(60),  # its own publication
        entry(10, 10, story(70, 5)).id: t(70),  # its story's save
        entry(10, 10, story(5, 80)).id: t(80),  # its story's publication
        entry(10, 10, story(5, 6, embargo=90)).id: t(90),  # its story's embargo ending
        entry(40, 10, story(40, 5)).id: t(40),  # a tie: the entry's own save
        entry(10, 30, story(5, 30)).id: t(30),  # a tie: the entry's own publication
        entry(55, 10, story(5, 6, embargo=55 * 60 * 24 * 365)).id: t(55),  # embargo ahead
    }
    whole = [i for i in (await sync(client))["data"] if i["type"] == "feed_entry"]
    assert [i["id"] for i in whole] == sorted(expected, key=lambda i: (expected[i], i))
    for item in whole:
        assert item["at"] == expected[item["id"]].isoformat().replace("+00:00", "Z")

    paged, cursor = [], None
    while True:
        body = await sync(client, cursor=cursor, limit=2)
        paged += [i["id"] for i in body["data"] if i["type"] == "feed_entry"]
        if not body["meta"]["has_more"]:
            break
        cursor = body["meta"]["next_cursor"]
    assert paged == [i["id"] for i in whole]
