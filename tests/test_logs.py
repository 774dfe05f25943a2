"""The access log: one line a request from the edge, secrets masked, written in batches."""

import asyncio
import io

import pytest

from app.logs import AccessLog


def edge_of(app):
    while not hasattr(app, "access"):
        app = app.app
    return app


@pytest.mark.anyio
async def test_every_request_gets_one_access_line_with_its_id_and_no_secret(client, monkeypatch):
    from app.main import app

    stream = io.StringIO()
    monkeypatch.setattr(edge_of(app), "access", AccessLog(stream))
    read = await client.get("/v1/articles", params={"limit": "1"})
    refused = await client.get("/v1/feeds/site.rss", params={"api_key": "byl_1234abcd_secret"})
    page = await client.get("/docs")
    edge_of(app).access.flush()

    lines = stream.getvalue().splitlines()
    assert len(lines) == 3
    first, second, third = lines
    assert '"GET /v1/articles?limit=1 HTTP/1.1" 200 ' in first
    assert first.endswith(read.headers["x-request-id"])
    assert refused.status_code == 401
    assert "byl_1234abcd_secret" not in second
    assert '"GET /v1/feeds/site.rss?api_key=[redacted] HTTP/1.1" 401 ' in second
    assert '"GET /docs HTTP/1.1" 200 ' in third and third.endswith(page.headers["x-request-id"])


def _scope(path: str) -> dict:
    return {"method": "GET", "path": path, "query_string": b"", "client": ("10.0.0.1", 1)}


@pytest.mark.anyio
async def test_lines_wait_for_the_timer_or_a_full_buffer(monkeypatch):
    stream = io.StringIO()
    log = AccessLog(stream)
    monkeypatch.setattr(AccessLog, "FLUSH_SECONDS", 0.05)
    log.write(_scope("/v1/articles"), 200, 0.001, "a1")
    assert stream.getvalue() == ""  # held
    for _ in range(100):
        if stream.getvalue():
            break
        await asyncio.sleep(0.05)
    assert stream.getvalue() == 'INFO:     10.0.0.1 - "GET /v1/articles HTTP/1.1" 200 1.0ms a1\n'

    monkeypatch.setattr(AccessLog, "FLUSH_SECONDS", 3600.0)
    long_path = "/v1/articles/" + "x" * 1000
    for n in range(AccessLog.BUFFER_BYTES // 1000 + 1):
        log.write(_scope(long_path), 200, 0.001, f"b{n}")
    assert stream.getvalue().count(long_path) >= AccessLog.BUFFER_BYTES // 1100


def test_without_a_loop_a_line_is_written_at_once():
    stream = io.StringIO()
    AccessLog(stream).write(_scope("/healthz"), 200, 0.0, "c1")
    assert '"GET /healthz HTTP/1.1" 200 0.0ms c1' in stream.getvalue()


def test_access_lines_follow_the_log_level_and_the_setting():
    from types import SimpleNamespace

    from app.logs import access_logged

    assert access_logged(SimpleNamespace(access_log=True, log_level="info"))
    assert access_logged(SimpleNamespace(access_log=True, log_level="debug"))
    assert not access_logged(SimpleNamespace(access_log=True, log_level="warning"))
    assert not access_logged(SimpleNamespace(access_log=False, log_level="info"))
