"""Health, readiness, the OpenAPI document and the docs pages."""

import json
from pathlib import Path

import pytest
from sqlmodel import Session

from app.db import get_session, make_engine
from app.main import api
from app.migrate import head_revision
from app.openapi import render

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[1]


async def test_healthz(client):
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_reports_the_migration(session, client):
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "migration": head_revision()}


async def test_readyz_is_503_when_the_schema_is_behind(client, tmp_path):
    empty = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")

    def unmigrated():
        with Session(empty) as s:
            yield s

    api.dependency_overrides[get_session] = unmigrated
    try:
        response = await client.get("/readyz")
    finally:
        api.dependency_overrides.clear()
        empty.dispose()
    assert response.status_code == 503
    assert "byline migrate" in response.json()["detail"]


def test_openapi_file_matches_the_app():
    committed = (ROOT / "openapi" / "openapi.json").read_bytes()
    assert committed == render(api), "run `make openapi` and commit openapi/openapi.json"


async def test_openapi_endpoint_serves_the_same_document(client):
    served = (await client.get("/openapi.json")).json()
    assert served == json.loads((ROOT / "openapi" / "openapi.json").read_text())


async def test_docs_load_their_assets_from_this_server(client):
    page = (await client.get("/docs")).text
    assert "/docs-assets/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()
    asset = await client.get("/docs-assets/swagger-ui-bundle.js")
    assert asset.status_code == 200
    assert len(asset.content) > 100_000


async def test_redoc_loads_its_script_from_this_server(client):
    page = (await client.get("/redoc")).text
    assert "/docs-assets/redoc.standalone.js" in page
    assert "cdn" not in page.lower()
    assert "fonts.googleapis" not in page


async def test_metrics_count_requests_by_resource(session, client):
    await client.get("/v1/articles")
    await client.get("/v1/articles")
    await client.get("/v1/articles/none")
    text = (await client.get("/metrics")).text
    assert 'byline_http_requests_total{method="GET",resource="articles",status="200"}' in text
    assert 'byline_http_requests_total{method="GET",resource="articles",status="404"}' in text
    assert "byline_http_request_duration_seconds_bucket" in text
    assert 'byline_render_cache_total{result="hit"}' in text


def test_metrics_add_up_every_worker(session):
    import re

    import httpx

    from tests.servers import running_server

    with running_server(workers=2) as base:
        for _ in range(20):
            httpx.get(f"{base}/v1/sections", headers={"Connection": "close"})
        text = httpx.get(f"{base}/metrics").text
    counts = re.findall(
        r'byline_http_requests_total\{method="GET",resource="sections",status="200"\} (\S+)', text
    )
    assert [float(c) for c in counts] == [20.0]
