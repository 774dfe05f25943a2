"""Who is told of a delete in `/v1/sync`: every viewer that may have been shown the object,
and no viewer that could never have seen it, for each kind of viewer and each life a story
had before it went (public, embargoed, scheduled, draft, unpublished)."""

from datetime import timedelta

import pytest

from app.db import utcnow
from app.models import ArticleStatus
from app.sync import service
from tests.factories import make_article, make_feed_entry, make_key, make_section, make_tag

pytestmark = pytest.mark.anyio

VIEWERS = ("anonymous", "reader", "previewer", "partner", "early", "early_by_tag", "outsider")
EVERYONE = frozenset(VIEWERS)
# Those who may see an embargoed story of section "ours", tagged "scoop", before its time.
EARLY = frozenset({"previewer", "early", "early_by_tag"})
PREVIEW = frozenset({"previewer"})


@pytest.fixture(autouse=True)
def settled(monkeypatch):
    monkeypatch.setattr(service, "SETTLE", timedelta(0))


@pytest.fixture
def editor(session) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_key(session, 'content:write', 'content:preview')}"}


@pytest.fixture
def viewers(session) -> dict[str, dict[str, str]]:
    keys = {
        "reader": make_key(session, "content:read"),
        "previewer": make_key(session, "content:preview"),
        "partner": make_key(session, "partner", sections=["ours"]),
        "early": make_key(session, "partner", sections=["ours"], advance_embargo=True),
        "early_by_tag": make_key(session, "partner", tags=["scoop"], advance_embargo=True),
        "outsider": make_key(session, "partner", sections=["theirs"], advance_embargo=True),
    }
    return {"anonymous": {}, **{k: {"Authorization": f"Bearer {v}"} for k, v in keys.items()}}


@pytest.fixture
def place(session) -> dict:
    """Where the stories live: section "ours", tag "scoop" ("theirs" is someone else's)."""
    ours = make_section(session, slug="ours")
    make_section(session, slug="theirs")
    return {"section_id": ours.id, "tags": [make_tag(session, slug="scoop")]}


def story(session, place: dict, life: str):
    soon = utcnow() + timedelta(days=1)
    kinds = {
        "public": {},
        "embargoed": {"embargo_until": soon},
        "scheduled": {
            "status": ArticleStatus.scheduled,
            "published_at": soon,
            "first_published_at": soon,
        },
        "draft": {"status": ArticleStatus.draft, "published_at": None, "first_published_at": None},
    }
    return make_article(session, **place, **kinds[life])


async def log(client, headers, cursor=None) -> dict:
    params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
    response = await client.get("/v1/sync", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def synced(client, viewers) -> dict[str, dict]:
    """Every viewer's log from the start (its items by id, and its cursor)."""
    out = {}
    for name, headers in viewers.items():
        body = await log(client, headers)
        out[name] = {
            "items": {i["id"]: i["action"] for i in body["data"]},
            "cursor": body["meta"]["next_cursor"],
        }
    return out


async def told_since(client, viewers, before: dict, object_id: str) -> dict[str, str | None]:
    """What each viewer's log says of `object_id` after its earlier cursor."""
    out = {}
    for name, headers in viewers.items():
        body = await log(client, headers, before[name]["cursor"])
        actions = [i["action"] for i in body["data"] if i["id"] == object_id]
        assert len(actions) <= 1
        out[name] = actions[0] if actions else None
        assert all("data" not in i for i in body["data"] if i["action"] == "delete")
    return out


async def delete_article(client, editor, article_id: str, etag: str) -> None:
    gone = await client.delete(f"/v1/articles/{article_id}", headers={**editor, "If-Match": etag})
    assert gone.status_code == 204, gone.text


@pytest.mark.parametrize(
    ("life", "told"),
    [
        # Its id was public: everyone, a partner outside its sections too (as when a story
        # moves out of them, README "Sync"), so that no mirror keeps it.
        ("public", EVERYONE),
        # Deleted during its embargo: those who may have received it early, no one else.
        ("embargoed", EARLY),
        ("scheduled", PREVIEW),
        ("draft", PREVIEW),
    ],
)
async def test_a_deleted_story_is_told_to_who_may_have_seen_it(
    client, session, editor, viewers, place, life, told
):
    article = story(session, place, life)
    before = await synced(client, viewers)
    shown = {name for name, seen in before.items() if seen["items"].get(article.id) == "upsert"}
    await delete_article(client, editor, article.id, f'"{article.version}"')
    after = await told_since(client, viewers, before, article.id)
    assert {name for name, action in after.items() if action == "delete"} == told
    assert {name for name, action in after.items() if action is not None} == told
    # Whoever held the story is told it is gone.
    assert shown <= told


async def test_a_partner_with_advance_access_is_told_of_an_embargoed_story_deleted(
    client, session, editor, viewers, place
):
    article = story(session, place, "embargoed")
    early = viewers["early"]
    first = await log(client, early)
    assert [i["action"] for i in first["data"] if i["id"] == article.id] == ["upsert"]
    await delete_article(client, editor, article.id, f'"{article.version}"')
    then = await log(client, early, first["meta"]["next_cursor"])
    assert [(i["id"], i["action"]) for i in then["data"]] == [(article.id, "delete")]


async def test_an_embargoed_story_unpublished_is_told_only_to_who_had_it(
    client, session, editor, viewers, place
):
    article = story(session, place, "embargoed")
    before = await synced(client, viewers)
    down = await client.post(f"/v1/articles/{article.id}/unpublish", headers=editor)
    assert down.status_code == 200, down.text
    after = await told_since(client, viewers, before, article.id)
    assert after == {
        "anonymous": None,
        "reader": None,
        "previewer": "upsert",  # previewers see the unpublished story
        "partner": None,
        "early": "delete",
        "early_by_tag": "delete",
        # A partner with advance access never learns of an embargoed story outside its
        # sections and tags, not even its id.
        "outsider": None,
    }


@pytest.mark.parametrize(("life", "told"), [("public", EVERYONE), ("embargoed", EARLY)])
async def test_a_story_unpublished_then_deleted_is_told_to_who_had_it(
    client, session, editor, viewers, place, life, told
):
    article = story(session, place, life)
    # The mirrors synced before the takedown, and not again until after the delete.
    before = await synced(client, viewers)
    down = await client.post(f"/v1/articles/{article.id}/unpublish", headers=editor)
    assert down.status_code == 200, down.text
    await delete_article(client, editor, article.id, down.headers["etag"])
    after = await told_since(client, viewers, before, article.id)
    assert {name for name, action in after.items() if action is not None} == told
    assert set(after.values()) <= {"delete", None}


async def test_a_story_moved_away_then_deleted_is_told_to_the_partner_that_had_it(
    client, session, editor, viewers, place
):
    article = story(session, place, "public")
    before = await synced(client, {"partner": viewers["partner"]})
    assert before["partner"]["items"][article.id] == "upsert"
    moved = await client.patch(
        f"/v1/articles/{article.id}",
        json={"section": "theirs", "tags": []},
        headers={**editor, "If-Match": f'"{article.version}"'},
    )
    assert moved.status_code == 200, moved.text
    await delete_article(client, editor, article.id, moved.headers["etag"])
    after = await told_since(client, {"partner": viewers["partner"]}, before, article.id)
    assert after == {"partner": "delete"}


@pytest.mark.parametrize(
    ("kind", "told"),
    [
        ("published", EVERYONE),
        ("scheduled", PREVIEW),
        ("draft", PREVIEW),
    ],
)
async def test_a_deleted_feed_entry_is_told_to_who_may_have_seen_it(
    client, session, editor, viewers, place, kind, told
):
    # About an embargoed story: partners with advance access see the entry early.
    about = story(session, place, "embargoed")
    values = {
        "published": {},
        "scheduled": {
            "status": ArticleStatus.scheduled,
            "published_at": utcnow() + timedelta(days=1),
        },
        "draft": {"status": ArticleStatus.draft},
    }
    entry = make_feed_entry(session, article_id=about.id, **values[kind])
    before = await synced(client, viewers)
    shown = {name for name, seen in before.items() if seen["items"].get(entry.id) == "upsert"}
    gone = await client.delete(f"/v1/feed/{entry.id}", headers={**editor, "If-Match": '"1"'})
    assert gone.status_code == 204, gone.text
    after = await told_since(client, viewers, before, entry.id)
    assert {name for name, action in after.items() if action is not None} == told
    assert shown <= told


async def test_an_entry_whose_embargoed_story_is_deleted_leaves_the_early_partners_feed(
    client, session, editor, viewers, place
):
    about = story(session, place, "embargoed")
    entry = make_feed_entry(session, article_id=about.id)
    early = {name: viewers[name] for name in ("early", "early_by_tag")}
    before = await synced(client, early)
    assert {seen["items"][entry.id] for seen in before.values()} == {"upsert"}
    await delete_article(client, editor, about.id, f'"{about.version}"')
    after = await told_since(client, early, before, entry.id)
    # A partner's feed holds only entries about stories it may read: this one goes.
    assert after == {"early": "delete", "early_by_tag": "delete"}
