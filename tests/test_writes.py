"""What every write shares: no lost updates under real concurrency, Idempotency-Key,
sanitization, request limits, the audit trail."""

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlmodel import Session

from app.articles import revisions as article_revisions
from app.articles import saving
from app.articles.schemas import ArticleUpdate
from app.db import get_engine
from app.editorial import Editor
from app.errors import PreconditionFailed
from tests.factories import make_article, make_key
from tests.servers import running_server

pytestmark = pytest.mark.anyio

WRITERS = 8


@pytest.fixture
def editor(session) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_key(session, 'content:write', 'content:preview')}"}


def test_concurrent_saves_with_one_version_exactly_one_wins(session):
    """Threads, each with its own connection, race the same If-Match version past a barrier."""
    article = make_article(session, headline="Original")
    start = article.version
    barrier = threading.Barrier(WRITERS)

    def save(n: int) -> str:
        who = Editor(key_id=None, key_name=None, request_id=None, if_match=f'"{start}"')
        with Session(get_engine(), expire_on_commit=False) as own:
            barrier.wait()
            try:
                saving.update_article(
                    own, who, ref=article.id, data=ArticleUpdate(headline=f"Writer {n}")
                )
            except PreconditionFailed:
                return "stale"
            return f"Writer {n}"

    with ThreadPoolExecutor(WRITERS) as pool:
        outcomes = list(pool.map(save, range(WRITERS)))
    winners = [o for o in outcomes if o != "stale"]
    assert len(winners) == 1
    session.expire_all()
    revisions = article_revisions.list_revisions(session, ref=article.id)
    assert [r.number for r in revisions] == [start + 1]
    assert revisions[0].snapshot["headline"] == winners[0]


def test_concurrent_patches_over_http_exactly_one_wins(session):
    """Real server processes (two workers), real concurrent requests, one ETag."""
    secret = make_key(session, "content:write", "content:preview")
    article = make_article(session, headline="Original")
    headers = {"Authorization": f"Bearer {secret}"}
    with running_server(workers=2) as base:
        etag = httpx.get(f"{base}/v1/articles/{article.id}", headers=headers).headers["etag"]

        async def race() -> list[httpx.Response]:
            async with httpx.AsyncClient(base_url=base, timeout=30) as client:
                return await asyncio.gather(
                    *(
                        client.patch(
                            f"/v1/articles/{article.id}",
                            json={"headline": f"Writer {n}"},
                            headers={**headers, "If-Match": etag},
                        )
                        for n in range(WRITERS)
                    )
                )

        responses = asyncio.run(race())
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200] + [412] * (WRITERS - 1)
        winner = next(r for r in responses if r.status_code == 200).json()["data"]
        now = httpx.get(f"{base}/v1/articles/{article.id}", headers=headers).json()["data"]
        assert now["headline"] == winner["headline"]
        assert now["version"] == article.version + 1


async def test_stale_delete_is_refused_and_the_article_stays(client, session, editor):
    article = make_article(session)
    response = await client.delete(
        f"/v1/articles/{article.id}", headers={**editor, "If-Match": '"99-x"'}
    )
    assert response.status_code == 412
    assert (await client.get(f"/v1/articles/{article.id}", headers=editor)).status_code == 200
    gone = await client.delete(
        f"/v1/articles/{article.id}", headers={**editor, "If-Match": f'"{article.version}"'}
    )
    assert gone.status_code == 204
    assert (await client.get(f"/v1/articles/{article.id}", headers=editor)).status_code == 404


async def test_retry_with_the_same_idempotency_key_creates_nothing(client, session, editor):
    headers = {**editor, "Idempotency-Key": "create-1"}
    first = await client.post("/v1/tags", json={"name": "Elections"}, headers=headers)
    again = await client.post("/v1/tags", json={"name": "Elections"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    tags = (await client.get("/v1/tags")).json()["data"]
    assert [t["slug"] for t in tags] == ["elections"]


async def test_same_idempotency_key_with_another_body_is_refused(client, session, editor):
    headers = {**editor, "Idempotency-Key": "create-2"}
    assert (await client.post("/v1/tags", json={"name": "One"}, headers=headers)).status_code == 201
    other = await client.post("/v1/tags", json={"name": "Two"}, headers=headers)
    assert other.status_code == 422
    assert other.json()["type"] == "/problems/idempotency-key-reused"
    assert [t["slug"] for t in (await client.get("/v1/tags")).json()["data"]] == ["one"]


async def test_concurrent_retries_with_one_key_make_one_article(client, session, editor):
    headers = {**editor, "Idempotency-Key": "burst"}
    responses = await asyncio.gather(
        *(client.post("/v1/articles", json={"headline": "Once"}, headers=headers) for _ in range(6))
    )
    assert {r.status_code for r in responses} <= {201, 409}
    assert sum(r.status_code == 201 for r in responses) >= 1
    created = {r.json()["data"]["id"] for r in responses if r.status_code == 201}
    assert len(created) == 1
    listed = await client.get("/v1/articles?order=updated", headers=editor)
    assert len(listed.json()["data"]) == 1


@pytest.mark.parametrize(
    ("html", "forbidden"),
    [
        ("Hi<script>alert(1)</script>", "<script"),
        ('<a href="javascript:alert(1)">x</a>', "javascript:"),
        ('<em onmouseover="alert(1)">x</em>', "onmouseover"),
        ('<img src=x onerror="alert(1)">', "<img"),
        ('<a href="JaVaScRiPt:alert(1)">x</a>', "alert"),
        ('<iframe src="https://evil.test"></iframe>', "<iframe"),
        ("<svg><script>alert(1)</script></svg>", "<svg"),
        ("<style>body{}</style>text", "<style"),
    ],
)
async def test_no_script_survives_into_what_readers_get(client, session, editor, html, forbidden):
    created = await client.post(
        "/v1/articles",
        json={
            "headline": "Safe",
            "body": [
                {"type": "paragraph", "html": html},
                {"type": "list", "items": [html]},
            ],
        },
        headers=editor,
    )
    assert created.status_code == 201, created.text
    ref = created.json()["data"]["id"]
    await client.post(f"/v1/articles/{ref}/publish", headers=editor)
    public = (await client.get(f"/v1/articles/{ref}")).text.lower()
    assert forbidden.lower() not in public


async def test_embed_with_javascript_url_is_refused(client, session, editor):
    response = await client.post(
        "/v1/articles",
        json={
            "headline": "Embed",
            "body": [{"type": "embed", "provider": "x", "url": "javascript:alert(1)"}],
        },
        headers=editor,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body[0].url"


async def test_unknown_fields_are_refused_by_name(client, session, editor):
    response = await client.post(
        "/v1/articles", json={"headline": "x", "colour": "red"}, headers=editor
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "colour"


async def test_missing_reference_names_the_field(client, session, editor):
    response = await client.post(
        "/v1/articles", json={"headline": "x", "tags": ["nope"]}, headers=editor
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "tags[0]", "message": "no tag 'nope'"}]


async def test_nul_in_a_body_string_is_a_422_not_a_500(client, session, editor):
    response = await client.post(
        "/v1/articles",
        json={"headline": "x\u0000y", "body": [{"type": "paragraph", "html": "a\u0000"}]},
        headers=editor,
    )
    assert response.status_code == 422


async def test_oversize_body_is_413_from_content_length(client, session, editor, settings_env):
    settings_env(MAX_BODY_KB=1)
    big = {"headline": "x", "summary": "y" * 4000}
    response = await client.post("/v1/articles", json=big, headers=editor)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


async def test_oversize_streamed_body_is_413_before_it_is_read_whole(
    client, session, editor, settings_env
):
    settings_env(MAX_BODY_KB=1)
    sent = 0

    async def chunks():
        nonlocal sent
        for _ in range(1000):
            sent += 512
            yield b" " * 512

    response = await client.post(
        "/v1/articles",
        content=chunks(),
        headers={**editor, "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert sent < 1000 * 512  # refused as soon as it passed the limit


async def test_wrong_content_type_is_415(client, session, editor):
    response = await client.post(
        "/v1/articles",
        content=b"headline=x",
        headers={**editor, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 415


async def test_malformed_json_is_400(client, session, editor):
    response = await client.post(
        "/v1/articles",
        content=b'{"headline": ',
        headers={**editor, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["type"] == "/problems/malformed-json"


async def test_writes_need_the_write_scope(client, session):
    reader = {"Authorization": f"Bearer {make_key(session, 'content:read')}"}
    assert (await client.post("/v1/articles", json={"headline": "x"})).status_code == 401
    response = await client.post("/v1/articles", json={"headline": "x"}, headers=reader)
    assert response.status_code == 403


async def test_every_change_is_audited_with_its_key(client, session, editor):
    admin = {"Authorization": f"Bearer {make_key(session, 'admin')}"}
    created = await client.post("/v1/articles", json={"headline": "Audited"}, headers=editor)
    ref = created.json()["data"]["id"]
    await client.post(f"/v1/articles/{ref}/publish", headers=editor)
    assert (await client.get("/v1/audit", headers=editor)).status_code == 403
    events = (await client.get(f"/v1/audit?resource_id={ref}", headers=admin)).json()["data"]
    assert [e["action"] for e in events] == ["article.publish", "article.create"]
    assert events[0]["key_id"] and events[0]["key_id"] == events[1]["key_id"]
    assert events[0]["version"] == 2


async def test_failed_write_leaves_no_audit_and_no_revision(client, session, editor):
    admin = {"Authorization": f"Bearer {make_key(session, 'admin')}"}
    article = make_article(session)
    stale = await client.patch(
        f"/v1/articles/{article.id}",
        json={"headline": "Never"},
        headers={**editor, "If-Match": '"41"'},
    )
    assert stale.status_code == 412
    events = (await client.get(f"/v1/audit?resource_id={article.id}", headers=admin)).json()
    assert events["data"] == []


async def test_revisions_are_not_cached_for_other_callers(client, session, editor):
    article = make_article(session)
    assert (
        await client.get(f"/v1/articles/{article.id}/revisions", headers=editor)
    ).status_code == 200
    assert (await client.get(f"/v1/articles/{article.id}/revisions")).status_code == 401


async def test_an_empty_reference_is_a_422_not_a_500(client, session, editor):
    for field in ("lead_photo", "section"):
        response = await client.post(
            "/v1/articles", json={"headline": "A story", field: ""}, headers=editor
        )
        assert response.status_code == 422, field
        assert response.json()["errors"][0]["field"] == field
