"""Keys, scopes, the visibility rule per kind of reader, preview links."""

from datetime import timedelta

import pytest

from app.db import utcnow
from app.models import ArticleStatus
from tests.factories import (
    make_article,
    make_author,
    make_feed_entry,
    make_key,
    make_photo,
    make_related,
    make_section,
    make_tag,
)

pytestmark = pytest.mark.anyio

SCOPES = ["content:read", "content:preview", "content:write", "partner", "admin"]


def auth(secret: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"} if secret else {}


@pytest.fixture
def world(session):
    """A published story in section `news`, a draft, and one key per scope."""
    news = make_section(session, slug="news")
    published = make_article(session, section_id=news.id)
    draft = make_article(session, status=ArticleStatus.draft, published_at=None)
    keys = {
        scope: make_key(session, scope, **({"sections": ["news"]} if scope == "partner" else {}))
        for scope in SCOPES
    }
    keys["anonymous"] = None
    return {"published": published, "draft": draft, "keys": keys}


# The matrix: every kind of caller against every kind of endpoint that exists so far.
MATRIX = {
    #  caller:           list  published draft  admin  preview-link
    "anonymous":        (200, 200, 404, 401, 401),
    "content:read":     (200, 200, 404, 403, 403),
    "content:preview":  (200, 200, 200, 403, 201),
    "content:write":    (403, 403, 403, 403, 403),
    "partner":          (200, 200, 404, 403, 403),
    "admin":            (403, 403, 403, 200, 403),
}  # fmt: skip


@pytest.mark.parametrize("caller", MATRIX)
async def test_scope_matrix(world, client, caller):
    headers = auth(world["keys"][caller])
    got = (
        (await client.get("/v1/articles", headers=headers)).status_code,
        (await client.get(f"/v1/articles/{world['published'].slug}", headers=headers)).status_code,
        (await client.get(f"/v1/articles/{world['draft'].slug}", headers=headers)).status_code,
        (await client.get("/v1/keys", headers=headers)).status_code,
        (
            await client.post(f"/v1/articles/{world['draft'].id}/preview", headers=headers)
        ).status_code,
    )
    assert got == MATRIX[caller]


async def test_x_api_key_header_works_like_bearer(world, client):
    headers = {"X-API-Key": world["keys"]["admin"]}
    assert (await client.get("/v1/keys", headers=headers)).status_code == 200


async def test_api_key_query_parameter_is_refused_outside_feeds(world, client):
    secret = world["keys"]["admin"]
    # Not taken as a key: the caller is anonymous, and this route needs one.
    response = await client.get("/v1/keys", params={"api_key": secret})
    assert response.status_code == 401
    assert secret not in response.text
    # With a key where keys go, the parameter is an unknown one.
    response = await client.get("/v1/keys", params={"api_key": secret}, headers=auth(secret))
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "api_key", "message": "unknown query parameter"}]
    assert secret not in response.text


@pytest.mark.parametrize(
    "secret",
    ["byl_00000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "not-a-key", "byl_short"],
)
async def test_unknown_key_is_401_and_never_echoed(session, client, secret):
    response = await client.get("/v1/articles", headers=auth(secret))
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == 'Bearer realm="byline"'
    assert secret not in response.text


async def test_revoked_key_is_401(world, client):
    secret = world["keys"]["admin"]
    keys = (await client.get("/v1/keys", headers=auth(secret))).json()["data"]
    for key in keys:
        assert "secret" not in key
    admin_id = next(k["id"] for k in keys if k["scopes"] == ["admin"])
    revoke = await client.delete(f"/v1/keys/{admin_id}", headers=auth(secret))
    assert revoke.status_code == 204
    after = await client.get("/v1/keys", headers=auth(secret))
    assert after.status_code == 401
    assert "revoked" in after.json()["detail"]


async def test_expired_key_is_401(session, client):
    secret = make_key(session, "content:read", expires_at=utcnow() - timedelta(seconds=1))
    response = await client.get("/v1/articles", headers=auth(secret))
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


async def test_key_in_cache_stops_working_after_the_cache_time(session, settings_env, client):
    import anyio

    settings_env(KEY_CACHE_SECONDS=0.3)
    secret = make_key(session, "admin")
    assert (await client.get("/v1/keys", headers=auth(secret))).status_code == 200
    from sqlmodel import select

    from app.keys.service import revoke_key
    from app.models import ApiKey

    [key] = session.exec(select(ApiKey)).all()
    revoke_key(session, key_id=key.id)
    await anyio.sleep(0.35)
    assert (await client.get("/v1/keys", headers=auth(secret))).status_code == 401


async def test_anonymous_reads_can_be_switched_off(session, settings_env, client):
    settings_env(ALLOW_ANONYMOUS_READS="false")
    make_article(session)
    assert (await client.get("/v1/articles")).status_code == 401
    secret = make_key(session, "content:read")
    response = await client.get("/v1/articles", headers=auth(secret))
    assert response.status_code == 200
    assert response.headers["cache-control"].startswith("private")


async def test_key_creation_returns_the_secret_once(world, client):
    headers = auth(world["keys"]["admin"])
    body = {"name": "Partner A", "scopes": ["partner"], "tags": ["war"], "rate_limit": 50}
    created = await client.post("/v1/keys", json=body, headers=headers)
    assert created.status_code == 201
    data = created.json()["data"]
    assert data["secret"].startswith(data["prefix"] + "_")
    assert created.headers["cache-control"] == "no-store"
    again = (await client.get(f"/v1/keys/{data['id']}", headers=headers)).json()["data"]
    assert "secret" not in again
    assert data["secret"] not in str(again)
    usable = await client.get("/v1/articles", headers=auth(data["secret"]))
    assert usable.status_code == 200


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": "x", "scopes": ["partner"]}, "sections"),
        ({"name": "x", "scopes": ["root"]}, "scopes[0]"),
        ({"name": "", "scopes": ["admin"]}, "name"),
        ({"name": "x", "scopes": ["admin"], "owner": "me"}, "owner"),
    ],
)
async def test_invalid_key_creation_is_422_naming_the_field(world, client, body, field):
    response = await client.post("/v1/keys", json=body, headers=auth(world["keys"]["admin"]))
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json()["errors"]]


# --- Partners: allowlists, embargo, photo rights, and no leak through any path.


@pytest.fixture
def syndication(session):
    ours = make_section(session, slug="ours")
    theirs = make_section(session, slug="theirs")
    ok_photo = make_photo(session, syndication_allowed=True)
    getty = make_photo(session, syndication_allowed=False)
    author = make_author(session)
    allowed = make_article(
        session, section_id=ours.id, lead_photo_id=getty.id, authors=[author], headline="Ours"
    )
    allowed_ok_photo = make_article(session, section_id=ours.id, lead_photo_id=ok_photo.id)
    other = make_article(session, section_id=theirs.id, authors=[author], headline="Not theirs")
    tagged = make_tag(session, slug="shared")
    by_tag = make_article(session, section_id=theirs.id, tags=[tagged], headline="By tag")
    embargoed = make_article(
        session, section_id=ours.id, embargo_until=utcnow() + timedelta(hours=2)
    )
    make_related(session, allowed, target_article_id=other.id)
    make_feed_entry(session, article_id=allowed.id, title="About ours")
    make_feed_entry(session, article_id=other.id, title="About theirs")
    make_feed_entry(session, title="Unlinked")
    partner = make_key(session, "partner", sections=["ours"], tags=["shared"])
    early = make_key(session, "partner", sections=["ours"], advance_embargo=True)
    return locals()


async def test_partner_lists_only_allowed_sections_and_tags(syndication, client):
    s = syndication
    body = (await client.get("/v1/articles?count=exact", headers=auth(s["partner"]))).json()
    ids = {a["id"] for a in body["data"]}
    assert ids == {s["allowed"].id, s["allowed_ok_photo"].id, s["by_tag"].id}
    assert body["meta"]["total"] == 3


async def test_partner_cannot_read_other_sections_by_ref(syndication, client):
    response = await client.get(
        f"/v1/articles/{syndication['other'].slug}", headers=auth(syndication["partner"])
    )
    assert response.status_code == 404
    assert "Not theirs" not in response.text


async def test_partner_gets_no_photo_without_syndication_rights(syndication, client):
    s = syndication
    headers = auth(s["partner"])
    article = (await client.get(f"/v1/articles/{s['allowed'].id}", headers=headers)).json()
    assert article["data"]["lead_photo"] is None
    assert (await client.get(f"/v1/photos/{s['getty'].id}", headers=headers)).status_code == 404
    fine = (await client.get(f"/v1/articles/{s['allowed_ok_photo'].id}", headers=headers)).json()
    assert fine["data"]["lead_photo"]["id"] == s["ok_photo"].id
    # The public still sees the photo.
    public = (await client.get(f"/v1/articles/{s['allowed'].id}")).json()
    assert public["data"]["lead_photo"]["id"] == s["getty"].id


async def test_partner_related_cards_stay_inside_the_allowlist(syndication, client):
    s = syndication
    article = await client.get(f"/v1/articles/{s['allowed'].id}", headers=auth(s["partner"]))
    assert article.json()["data"]["related"] == []
    public = (await client.get(f"/v1/articles/{s['allowed'].id}")).json()["data"]
    assert [r["title"] for r in public["related"]] == ["Not theirs"]


async def test_partner_author_page_lists_only_allowed_stories(syndication, client):
    s = syndication
    url = f"/v1/authors/{s['author'].slug}/articles"
    body = (await client.get(url, headers=auth(s["partner"]))).json()
    assert [a["headline"] for a in body["data"]] == ["Ours"]


async def test_partner_feed_holds_only_entries_about_its_stories(syndication, client):
    body = (await client.get("/v1/feed", headers=auth(syndication["partner"]))).json()
    assert [e["title"] for e in body["data"]] == ["About ours"]


async def test_embargo_holds_for_partners_without_advance_access(syndication, client):
    s = syndication
    for secret in (None, s["partner"]):
        response = await client.get(f"/v1/articles/{s['embargoed'].id}", headers=auth(secret))
        assert response.status_code == 404


async def test_advance_access_partner_sees_embargoed_story_early(syndication, client):
    s = syndication
    response = await client.get(f"/v1/articles/{s['embargoed'].id}", headers=auth(s["early"]))
    assert response.status_code == 200


async def test_partner_answers_are_private(syndication, client):
    response = await client.get("/v1/articles", headers=auth(syndication["partner"]))
    assert response.headers["cache-control"].startswith("private")
    public = await client.get("/v1/articles")
    assert public.headers["cache-control"].startswith("public")
    assert "Authorization" in public.headers["vary"]


async def test_partner_usage_counts_requests_and_items(syndication, client, session):
    s = syndication
    headers = auth(s["partner"])
    await client.get("/v1/articles", headers=headers)  # 3 items
    await client.get("/v1/articles", headers=headers)  # 3 more, from the render cache
    await client.get(f"/v1/articles/{s['allowed'].id}", headers=headers)  # 1 item
    await client.get(f"/v1/articles/{s['other'].id}", headers=headers)  # 404: not counted
    admin = make_key(session, "admin")
    keys = (await client.get("/v1/keys?limit=100", headers=auth(admin))).json()["data"]
    partner_id = next(k["id"] for k in keys if k["tags"] == ["shared"])
    usage = (await client.get(f"/v1/keys/{partner_id}/usage", headers=auth(admin))).json()
    [today] = usage["data"]
    assert (today["requests"], today["items"]) == (3, 7)
    assert today["day"] == utcnow().date().isoformat()


# --- Preview: keys and links.


async def test_preview_key_sees_drafts_privately(world, client):
    headers = auth(world["keys"]["content:preview"])
    response = await client.get(f"/v1/articles/{world['draft'].id}", headers=headers)
    assert response.status_code == 200
    assert response.json()["data"]["status"] == "draft"
    assert response.headers["cache-control"] == "private, no-store"
    listed = (await client.get("/v1/articles?order=updated", headers=headers)).json()["data"]
    assert world["draft"].id in {a["id"] for a in listed}


async def _preview_link(client, world, article) -> str:
    headers = auth(world["keys"]["content:preview"])
    created = await client.post(
        f"/v1/articles/{article.id}/preview", json={"expires_in": 600}, headers=headers
    )
    assert created.status_code == 201
    return created.json()["data"]["url"]


async def test_preview_link_shows_the_draft_to_anyone_with_it(world, client):
    url = await _preview_link(client, world, world["draft"])
    response = await client.get(url)
    assert response.status_code == 200
    assert response.json()["data"]["id"] == world["draft"].id
    assert response.headers["cache-control"] == "private, no-store"


async def test_preview_link_is_for_one_article_only(world, client):
    url = await _preview_link(client, world, world["draft"])
    token = url.split("preview=")[1]
    other = make_article_draft = world["published"]
    response = await client.get(f"/v1/articles/{make_article_draft.id}?preview={token}")
    assert response.status_code == 403
    assert other.headline not in response.text


async def test_tampered_or_expired_preview_link_is_401(world, client):
    from app.preview import make_token

    url = await _preview_link(client, world, world["draft"])
    tampered = url[:-2] + ("AA" if not url.endswith("AA") else "BB")
    assert (await client.get(tampered)).status_code == 401
    expired, _ = make_token(world["draft"].id, seconds=-1)
    response = await client.get(f"/v1/articles/{world['draft'].id}?preview={expired}")
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


async def test_security_headers_on_every_answer(session, client):
    for path in ("/v1/articles", "/v1/nothing", "/healthz"):
        response = await client.get(path)
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "default-src 'none'" in response.headers["content-security-policy"]


async def test_cors_allows_only_configured_origins(session, settings_env, fresh_client):
    settings_env(CORS_ORIGINS="https://www.example.org")
    client = fresh_client()
    preflight = await client.options(
        "/v1/articles",
        headers={
            "Origin": "https://www.example.org",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "Authorization",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://www.example.org"
    allowed = await client.get("/v1/articles", headers={"Origin": "https://www.example.org"})
    assert allowed.headers["access-control-allow-origin"] == "https://www.example.org"
    assert "RateLimit-Remaining" in allowed.headers["access-control-expose-headers"]
    other = await client.get("/v1/articles", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def test_access_log_masks_keys_and_preview_tokens():
    import logging

    from app.logs import RedactSecrets

    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1", "GET", "/v1/feeds/site.rss?api_key=byl_1234abcd_secret&x=1", "1.1", 200),
        None,
    )
    RedactSecrets().filter(record)
    message = record.getMessage()
    assert "byl_1234abcd_secret" not in message
    assert "api_key=[redacted]&x=1" in message


async def test_a_keys_use_is_written_in_a_batch_not_by_the_read(session, client, monkeypatch):
    from sqlalchemy import select

    from app.apikeys import last_use, split_secret
    from app.auth import key_cache
    from app.models import ApiKey

    secret = make_key(session, "content:read")
    key_cache._entries.clear()
    monkeypatch.setattr(last_use, "interval", 3600.0)  # the timer waits: only we flush
    last_use.flush()
    assert (await client.get("/v1/articles", headers={"X-API-Key": secret})).status_code == 200
    session.expire_all()
    key = session.scalars(select(ApiKey).where(ApiKey.prefix == split_secret(secret))).one()
    assert key.last_used_at is None  # the read itself wrote nothing
    assert last_use.flush() == 1
    session.expire_all()
    assert session.get(ApiKey, key.id).last_used_at is not None
