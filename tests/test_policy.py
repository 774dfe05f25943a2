"""Route policy: every API route declares one gate, and a kept answer is only ever served
after the checks the route itself would have made, to every kind of caller."""

import re

import pytest
from fastapi.routing import iter_route_contexts

from app.db import utcnow
from app.generation import bump
from app.models import ArticleStatus
from app.preview import make_token
from tests.factories import (
    make_article,
    make_author,
    make_feed_entry,
    make_key,
    make_photo,
    make_section,
    make_tag,
)

pytestmark = pytest.mark.anyio

CALLERS = [
    "anonymous",
    "bad key",
    "content:read",
    "content:preview",
    "content:write",
    "partner",
    "admin",
    "read+write",
]


def test_every_api_route_declares_exactly_one_gate():
    from app.main import api, app

    api_routes = {
        (route.path, frozenset(route.methods or ()))
        for route in iter_route_contexts(list(api.routes))
        if (route.path or "").startswith("/v1/") or route.path == "/v1"
    }
    gated = {(policy.path, policy.methods) for _, policy in app.policies.entries}
    assert api_routes and api_routes == gated


def test_the_table_matches_requests_as_the_router_does():
    from app.main import app

    def policy(method: str, path: str):
        scope = {"type": "http", "method": method, "path": path, "query_string": b""}
        return app.policies.match({**scope, "headers": [], "root_path": ""})

    assert policy("GET", "/v1/articles/some-slug").gate.name == "read or preview link"
    assert policy("HEAD", "/v1/articles/some-slug").gate.name == "read or preview link"
    assert policy("PATCH", "/v1/articles/some-slug").gate.name == "content:write"
    assert policy("GET", "/v1/feed/stream").kept is False
    assert policy("GET", "/v1/feed/stream").resource == "stream"
    assert policy("GET", "/v1/feeds/site.rss").query_key is True
    assert policy("GET", "/v1/articles").query_key is False
    assert policy("POST", "/v1/photos").upload is True
    assert policy("PATCH", "/v1/photos/pho_1").upload is False
    assert policy("GET", "/v1/popular").max_age == 30
    assert policy("PUT", "/v1/articles/x") is None
    assert policy("GET", "/v1/nothing-here") is None


@pytest.fixture
def world(session):
    """Published content of every kind a kept read shows, and a key per kind of caller."""
    news = make_section(session, slug="news")
    tag = make_tag(session, slug="war")
    author = make_author(session, slug="desk")
    photo = make_photo(session)
    article = make_article(
        session,
        slug="story",
        section_id=news.id,
        tags=[tag],
        authors=[author],
        lead_photo_id=photo.id,
    )
    draft = make_article(session, slug="draft", status=ArticleStatus.draft, published_at=None)
    entry = make_feed_entry(session)
    secrets = {
        scope: make_key(session, scope, **({"sections": ["news"]} if scope == "partner" else {}))
        for scope in ("content:read", "content:preview", "content:write", "partner", "admin")
    }
    secrets["read+write"] = make_key(session, "content:read", "content:write")
    secrets["bad key"] = "byl_00000000_not-a-key-that-exists"
    return {
        "article": article,
        "draft": draft,
        "photo": photo,
        "entry": entry,
        "secrets": secrets,
        "token": make_token(draft.id, seconds=600)[0],
    }


def _sample_path(template: str, world: dict) -> str:
    """A concrete path for a route template, naming content that exists."""
    by_template = {
        "/v1/feeds/{kind}/{ref}.{ext}": "/v1/feeds/section/news.rss",
        "/v1/feeds/site.{ext}": "/v1/feeds/site.atom",
        "/v1/photos/{photo_id}": f"/v1/photos/{world['photo'].id}",
        "/v1/feed/{entry_id}": f"/v1/feed/{world['entry'].id}",
    }
    if template in by_template:
        return by_template[template]
    refs = {"articles": "story", "authors": "desk", "sections": "news", "tags": "war"}
    resource = template.split("/")[2]
    return re.sub(r"\{ref\}", refs.get(resource, "x"), template)


def _cacheable_paths(world: dict) -> list[str]:
    from app.main import app

    paths = [
        _sample_path(policy.path, world)
        for _, policy in app.policies.entries
        if policy.kept and "GET" in policy.methods
    ]
    # A preview link reads a draft through the article route, never from what is kept.
    return [*paths, f"/v1/articles/draft?preview={world['token']}"]


def _headers(world: dict, caller: str) -> dict[str, str]:
    secret = world["secrets"].get(caller)
    return {"Authorization": f"Bearer {secret}"} if secret else {}


async def _answer(client, path: str, world: dict, caller: str) -> tuple[int, str, bytes]:
    response = await client.get(path, headers=_headers(world, caller))
    if response.status_code >= 400:  # problems carry each request's own id
        return response.status_code, response.json()["type"], b""
    return response.status_code, "", response.content


@pytest.mark.parametrize("anonymous_reads", ["true", "false"])
async def test_a_kept_answer_is_what_each_caller_gets_cold(
    world, session, client, settings_env, anonymous_reads
):
    settings_env(ALLOW_ANONYMOUS_READS=anonymous_reads)

    def forget_everything_kept() -> None:
        bump(session)
        session.commit()

    checked, statuses = 0, set()
    for path in _cacheable_paths(world):
        cold = {}
        for caller in CALLERS:
            forget_everything_kept()
            cold[caller] = await _answer(client, path, world, caller)
            statuses.add(cold[caller][0])
        for warm in CALLERS:
            forget_everything_kept()
            assert await _answer(client, path, world, warm) == cold[warm], (path, warm)
            for caller in CALLERS:
                got = await _answer(client, path, world, caller)
                assert got == cold[caller], (path, f"warmed by {warm}", f"read by {caller}")
                checked += 1
    # The matrix really ran over refusals and successes alike.
    assert {200, 401, 403} <= statuses and checked > 100


@pytest.mark.parametrize("anonymous_reads", ["true", "false"])
async def test_the_gate_refuses_before_the_cache_answers(
    world, client, settings_env, anonymous_reads
):
    settings_env(ALLOW_ANONYMOUS_READS=anonymous_reads)
    reader = _headers(world, "content:read")
    warm = await client.get("/v1/articles?limit=1", headers=reader)
    assert warm.status_code == 200
    assert (await client.get("/v1/articles?limit=1", headers=reader)).headers["x-cache"] == "HIT"
    expected_anonymous = 200 if anonymous_reads == "true" else 401
    anonymous = await client.get("/v1/articles?limit=1")
    assert anonymous.status_code == expected_anonymous
    for caller in ("admin", "content:write"):
        refused = await client.get("/v1/articles?limit=1", headers=_headers(world, caller))
        assert refused.status_code == 403
        assert "x-cache" not in refused.headers


# Credentials that are there but cannot be a key: never read as "no key".
MALFORMED = [
    {"Authorization": "Bearer"},
    {"Authorization": "Bearer    "},
    {"Authorization": "Basic dXNlcjpwYXNzd29yZA=="},
    {"Authorization": "byl_00000000_no-scheme"},
    {"Authorization": ""},
    {"X-API-Key": ""},
]


@pytest.mark.parametrize("headers", MALFORMED)
@pytest.mark.parametrize(
    "path", ["/v1/articles", "/v1/articles/story", "/v1/feeds/site.rss", "/v1/keys", "/v1/nope"]
)
async def test_an_unusable_credential_is_401_everywhere(world, client, headers, path):
    # Warm the render cache first: a kept answer must not be served either.
    await client.get(path)
    response = await client.get(path, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="byline"'
    assert response.headers["content-type"] == "application/problem+json"
    assert "x-cache" not in response.headers


async def test_an_empty_api_key_parameter_on_a_feed_is_401(world, client):
    response = await client.get("/v1/feeds/site.rss?api_key=")
    assert response.status_code == 401


async def test_a_key_created_already_expired_is_refused(world, client):
    admin = _headers(world, "admin")
    past = "2020-01-01T00:00:00Z"
    response = await client.post(
        "/v1/keys",
        json={"name": "late", "scopes": ["content:read"], "expires_at": past},
        headers=admin,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "expires_at"
    future = f"{utcnow().year + 1}-01-01T00:00:00Z"
    response = await client.post(
        "/v1/keys",
        json={
            "name": "ok",
            "scopes": ["content:read"],
            "expires_at": future,
        },
        headers=admin,
    )
    assert response.status_code == 201
