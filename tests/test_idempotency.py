"""Idempotency-Key: a retry gets the first result after the server died mid-request, and
whatever the size and encoding of that result; never a twin."""

import json
import signal
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from app import idempotency
from app.articles import saving
from app.articles.schemas import ArticleCreate
from app.db import get_engine
from app.editorial import Editor
from app.models import ApiKey, Article, IdempotencyRecord
from tests.factories import make_key
from tests.servers import serving

pytestmark = pytest.mark.anyio

JSON = {"Content-Type": "application/json"}


@pytest.fixture
def editor(session) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_key(session, 'content:write', 'content:preview')}"}


def _articles() -> list[str]:
    with Session(get_engine()) as session:
        return list(session.scalars(select(Article.id)))


def _records() -> int:
    with Session(get_engine()) as session:
        return session.scalar(select(func.count()).select_from(IdempotencyRecord)) or 0


def _wait_for(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 60  # a guard against hanging, not a measurement
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.005)


def _long_article(paragraphs: int, words: int) -> dict[str, object]:
    html = "A <em>long</em> read, word after word. " * words
    return {"headline": "Long read", "body": [{"type": "paragraph", "html": html}] * paragraphs}


@pytest.mark.parametrize("moment", ["claimed", "committed"])
async def test_a_retry_after_the_server_was_killed_mid_create_makes_one_article(
    client, session, editor, settings_env, moment
):
    # 2,000 long paragraphs: cleaning, saving and rendering them keeps the request busy
    # long enough to kill the server while it holds the key, without timing anything.
    content = json.dumps(_long_article(2_000, 120)).encode()
    headers = {**editor, **JSON, "Idempotency-Key": f"crash-{moment}"}
    reached = {"claimed": lambda: _records() > 0, "committed": lambda: bool(_articles())}
    env = {"IDEMPOTENCY_LEASE_SECONDS": "0", "MAX_BODY_KB": "65536", "EVENTS_WORKER": "false"}
    settings_env(**env)
    with serving(**env) as (base, server), ThreadPoolExecutor(1) as pool:
        url = f"{base}/v1/articles"
        pending = pool.submit(httpx.post, url, content=content, headers=headers, timeout=120)
        _wait_for(reached[moment])
        server.send_signal(signal.SIGKILL)
        server.wait()
        with pytest.raises(httpx.TransportError):
            pending.result()
    committed = _articles()

    retry = await client.post("/v1/articles", content=content, headers=headers)
    assert retry.status_code == 201
    created = retry.json()["data"]["id"]
    assert _articles() == [created]
    if committed:  # the dead server's article, not a twin
        assert committed == [created]
        assert retry.headers["idempotent-replayed"] == "true"
        assert retry.headers["location"] == f"/v1/articles/{created}"
    again = await client.post("/v1/articles", content=content, headers=headers)
    assert (again.status_code, again.json()["data"]["id"]) == (201, created)


def _claimed(session: Session, secret: str, content: bytes) -> idempotency.Hold:
    """Claim a key for a create the way the edge does, for the key with `secret`."""
    key_id = session.scalars(select(ApiKey.id)).one()
    scope = {
        "method": "POST",
        "path": "/v1/articles",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json")],
    }
    print_ = idempotency.fingerprint(scope, content)
    claim = idempotency.claim(f"key:{key_id}", "died", print_)
    assert claim.outcome == "new" and claim.hold is not None
    return idempotency.Hold(claim.hold.owner, claim.hold.key, claim.hold.token, status=201)


def _create(session: Session, hold: idempotency.Hold, data: dict[str, object]) -> Article:
    who = Editor(key_id=None, key_name=None, request_id=None, if_match=None, idempotency=hold)
    return saving.create_article(session, who, data=ArticleCreate.model_validate(data))


async def test_a_committed_create_whose_server_died_before_keeping_its_answer_is_replayed(
    client, session, settings_env
):
    # A key that may write but not preview still gets its draft back, as the write showed it.
    secret = make_key(session, "content:write")
    settings_env(IDEMPOTENCY_LEASE_SECONDS=0)
    data = {"headline": "Filed before the crash"}
    content = json.dumps(data).encode()
    article = _create(session, _claimed(session, secret, content), data)  # and never `finish`

    headers = {"Authorization": f"Bearer {secret}", **JSON, "Idempotency-Key": "died"}
    retry = await client.post("/v1/articles", content=content, headers=headers)
    assert retry.status_code == 201
    assert retry.json()["data"]["id"] == article.id
    assert retry.json()["data"]["headline"] == "Filed before the crash"
    assert retry.headers["location"] == f"/v1/articles/{article.id}"
    assert retry.headers["idempotent-replayed"] == "true"
    assert _articles() == [article.id]


async def test_a_write_whose_key_a_retry_took_over_commits_nothing(client, session, settings_env):
    secret = make_key(session, "content:write", "content:preview")
    settings_env(IDEMPOTENCY_LEASE_SECONDS=0)
    data = {"headline": "Slow first try"}
    content = json.dumps(data).encode()
    slow = _claimed(session, secret, content)  # its lease runs out before it writes

    headers = {"Authorization": f"Bearer {secret}", **JSON, "Idempotency-Key": "died"}
    retry = await client.post("/v1/articles", content=content, headers=headers)
    assert retry.status_code == 201
    with pytest.raises(idempotency.KeyTakenOver):
        _create(session, slow, data)
    session.rollback()
    assert _articles() == [retry.json()["data"]["id"]]


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
async def test_an_answer_over_a_mebibyte_is_replayed_in_the_encoding_the_retry_accepts(
    client, session, editor, settings_env, encoding
):
    settings_env(MAX_BODY_KB=8192)
    article = _long_article(100, 400)  # about 1.6 MB of HTML, more again in the answer
    headers = {**editor, "Idempotency-Key": f"large-{encoding}"}
    first = await client.post(
        "/v1/articles", json=article, headers={**headers, "Accept-Encoding": "gzip"}
    )
    assert first.status_code == 201
    assert len(first.content) > 1024 * 1024

    again = await client.post(
        "/v1/articles", json=article, headers={**headers, "Accept-Encoding": encoding}
    )
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers.get("content-encoding") == ("gzip" if encoding == "gzip" else None)
    assert again.content == first.content
    assert _articles() == [first.json()["data"]["id"]]
