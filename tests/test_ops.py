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
    assert committed == render(), "run `make openapi` and commit openapi/openapi.json"


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
