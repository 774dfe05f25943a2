"""The answers Byline sends are the shapes its OpenAPI document shows.

Every test's client checks its answers against the committed document (`tests/contract.py`);
these tests name the answers outside tools found wrong, and the checks themselves.
"""

import logging

import httpx
import pytest
from fastapi import FastAPI, Request

from app.contract import ResponseMismatch, sparse
from app.demo.seed import SLUG
from app.pagination import item_response
from app.schemas import One
from app.sections.schemas import SectionOut
from tests import contract

pytestmark = pytest.mark.anyio

EVERY_INCLUDE = "authors,tags,lead_photo,related,body"


def _valid(response: httpx.Response) -> None:
    """The answer against the document, stated in the test (the client's hook checks too)."""
    content_type = response.headers["content-type"].split(";")[0]
    why = contract.validate(
        response.request.method,
        response.request.url.path,
        response.status_code,
        content_type,
        response.json(),
    )
    assert why is None, why


async def test_the_seed_article_matches_the_document(client, demo):
    response = await client.get(f"/v1/articles/{SLUG}")
    assert response.status_code == 200
    _valid(response)
    body = response.json()["data"]["body"]
    related = [b for b in body if b["type"] == "related"]
    assert related and related[0]["related"]["title"]


async def test_a_list_with_every_include_matches_the_document(client, demo):
    response = await client.get(f"/v1/articles?include={EVERY_INCLUDE}")
    assert response.status_code == 200
    _valid(response)
    assert any(b["type"] == "related" for a in response.json()["data"] for b in a["body"])


async def test_a_sparse_answer_matches_the_document(client, demo):
    response = await client.get(f"/v1/articles/{SLUG}?fields=headline")
    assert set(response.json()["data"]) == {"id", "headline"}
    _valid(response)


async def test_a_popular_list_with_every_include_matches_the_document(client, demo):
    response = await client.get(f"/v1/popular?include={EVERY_INCLUDE}&fields=headline")
    assert response.status_code == 200
    _valid(response)


def test_the_document_tells_body_blocks_apart_by_type():
    schemas = contract._document()["components"]["schemas"]
    items = schemas["ArticleDetail"]["properties"]["body"]["items"]
    mapping = items["discriminator"]["mapping"]
    assert mapping["related"] == "#/components/schemas/RelatedBlockOut"
    assert "related" in schemas["RelatedBlockOut"]["required"]
    assert "photo" in schemas["PhotoBlockOut"]["required"]


def test_sparse_models_require_only_the_id():
    schemas = contract._document()["components"]["schemas"]
    assert schemas["ArticleDetail"]["required"] == ["id"]
    assert schemas["ArticleSummary"]["required"] == ["id"]
    assert schemas["PopularArticle"]["required"] == ["id", "views"]
    # What articles embed is whole.
    assert "url" in schemas["PhotoOut"]["required"]


def test_the_check_refuses_an_answer_the_document_does_not_show():
    why = contract.validate(
        "GET", "/v1/sections/news", 200, "application/json", {"data": {"slug": "news"}}
    )
    assert why is not None and "'id' is a required property" in why


def test_the_check_holds_errors_to_the_problem_schema():
    problem = {"type": "about:blank", "title": "Not Found", "status": 404, "detail": "No."}
    assert contract.validate("GET", "/v1/nowhere", 404, "application/problem+json", problem) is None
    broken = contract.validate("GET", "/v1/nowhere", 404, "application/json", {"detail": "No."})
    assert broken is not None and "'type' is a required property" in broken


def _drifting_app(data: dict) -> FastAPI:
    """An app whose one route answers `data` as a section."""
    app = FastAPI()

    @app.get("/section", response_model=One[sparse(SectionOut)])
    def answer(request: Request) -> object:
        return item_response(request, dict(data))

    return app


SECTION = {
    "id": "sec_1",
    "slug": "news",
    "name": "News",
    "description": None,
    "position": 0,
    "updated_at": "2025-05-25T14:16:00Z",
    "version": 1,
}


async def _get(app: FastAPI, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        return await http.get(path)


@pytest.mark.parametrize(
    "data",
    [
        {**SECTION, "colour": "red"},  # a field the document does not show
        {k: v for k, v in SECTION.items() if k != "name"},  # a whole answer missing one
        {**SECTION, "position": "first"},  # a wrong type
    ],
    ids=["extra", "missing", "type"],
)
async def test_an_answer_that_drifts_fails_loudly_in_strict_mode(data):
    with pytest.raises(ResponseMismatch):
        await _get(_drifting_app(data), "/section")


async def test_a_sparse_answer_needs_only_its_id():
    response = await _get(_drifting_app({"id": "sec_1", "name": "News"}), "/section?fields=name")
    assert response.json() == {"data": {"id": "sec_1", "name": "News"}}


async def test_in_production_a_drifting_answer_is_logged_and_sent(settings_env, caplog):
    settings_env(RESPONSE_VALIDATION="log")
    with caplog.at_level(logging.ERROR, logger="byline.contract"):
        response = await _get(_drifting_app({**SECTION, "colour": "red"}), "/section")
    assert response.status_code == 200
    assert response.json()["data"]["colour"] == "red"
    assert any("documented shape" in r.getMessage() for r in caplog.records)
