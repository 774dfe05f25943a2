"""The OpenAPI document: valid 3.1 for outside tools, complete from the route policies (security,
headers, problems), true to what the server sends, and rendered by ReDoc and Swagger UI in a
real browser."""

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate

from app.main import api
from app.models import ArticleStatus
from app.policy import PolicyTable
from tests.factories import make_article, make_key
from tests.servers import running_server

ROOT = Path(__file__).resolve().parents[1]
DOCUMENT = json.loads((ROOT / "openapi" / "openapi.json").read_text())
METHODS = ("get", "put", "post", "patch", "delete")
READ_GATES = {"read", "read or preview link"}


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, item in DOCUMENT["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def header_params(op: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in op.get("parameters", []) if p["in"] == "header"}


def policies() -> list[tuple[str, str, Any]]:
    table = PolicyTable(api.routes)
    return [
        (route.path_format, method.lower(), policy)
        for route, policy in table.entries
        for method in policy.methods
    ]


def test_the_committed_document_is_valid_openapi_3_1():
    assert DOCUMENT["openapi"].startswith("3.1.")
    validate(DOCUMENT)  # raises on the first error


def test_every_reference_resolves_inside_the_document():
    refs: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                refs.append(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(DOCUMENT)
    assert refs
    for ref in refs:
        assert ref.startswith("#/components/"), ref
        node: Any = DOCUMENT
        for part in ref[2:].split("/"):
            assert part in node, f"{ref} does not resolve"
            node = node[part]


def test_the_photo_json_body_is_a_component_with_its_renditions():
    body = DOCUMENT["paths"]["/v1/photos"]["post"]["requestBody"]["content"]
    assert body["application/json"]["schema"] == {"$ref": "#/components/schemas/PhotoCreate"}
    renditions = DOCUMENT["components"]["schemas"]["PhotoCreate"]["properties"]["renditions"]
    assert renditions["items"] == {"$ref": "#/components/schemas/RenditionIn"}
    assert "file" in body["multipart/form-data"]["schema"]["required"]


def test_one_parameter_name_per_path_position():
    """`/v1/photos/{photo_id}` beside `/v1/photos/{ref}` is one path to OpenAPI, twice."""
    names: dict[str, set[str]] = {}
    for path in DOCUMENT["paths"]:
        segments = path.strip("/").split("/")
        for i, segment in enumerate(segments):
            for j, name in enumerate(re.findall(r"\{([^}]+)\}", segment)):
                prefix = "/".join(re.sub(r"\{[^}]+\}", "{}", s) for s in segments[: i + 1])
                names.setdefault(f"{prefix} #{j}", set()).add(name)
    clashes = {prefix: found for prefix, found in names.items() if len(found) > 1}
    assert not clashes
    assert "/v1/photos/{ref}" in DOCUMENT["paths"]
    assert "/v1/feed/{ref}" in DOCUMENT["paths"]


def test_every_error_answer_is_a_problem():
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, method, op in operations():
        errors = {code: r for code, r in op["responses"].items() if int(code) >= 400}
        assert "500" in errors, (method, path)
        for code, response in errors.items():
            assert response.get("content") == problem, (method, path, code)
    schemas = DOCUMENT["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert schemas["Problem"]["properties"]["errors"]["anyOf"][0]["items"] == {
        "$ref": "#/components/schemas/FieldError"
    }


def test_gated_operations_list_the_problems_the_edge_gives():
    for path, method, _policy in policies():
        responses = DOCUMENT["paths"][path][method]["responses"]
        assert {"400", "401", "403", "405", "429", "500"} <= set(responses), (method, path)
        assert "Retry-After" in responses["429"]["headers"]
        assert "Allow" in responses["405"]["headers"]
        assert "RateLimit" in responses["401"]["headers"]
        if method in ("post", "patch"):
            assert {"413", "415", "422"} <= set(responses), (method, path)


def test_reads_allow_anonymous_callers_and_scoped_routes_need_a_key():
    seen = set()
    for path, method, policy in policies():
        security = DOCUMENT["paths"][path][method]["security"]
        seen.add(policy.gate.name)
        if policy.gate.name in READ_GATES:
            assert security[0] == {}, (method, path)
        else:
            assert security and {} not in security, (method, path)
            assert {"HTTPBearer": []} in security
    assert DOCUMENT["paths"]["/v1/articles"]["get"]["security"][0] == {}
    assert {} not in DOCUMENT["paths"]["/v1/articles"]["post"]["security"]
    assert {"read", "content:write", "admin"} <= seen


def test_changes_declare_if_match_and_posts_idempotency_key():
    patches = [(p, op) for p, m, op in operations() if m == "patch"]
    assert patches
    for path, op in patches:
        assert header_params(op)["If-Match"]["required"] is True, path
        assert {"412", "428"} <= set(op["responses"]), path
    publish = DOCUMENT["paths"]["/v1/articles/{ref}/publish"]["post"]
    assert header_params(publish)["If-Match"]["required"] is False
    assert "428" not in publish["responses"]
    # A create has no version to match; revoking a key reads no If-Match.
    assert "If-Match" not in header_params(DOCUMENT["paths"]["/v1/articles"]["post"])
    assert "If-Match" not in header_params(DOCUMENT["paths"]["/v1/keys/{key_id}"]["delete"])
    for path, method, op in operations():
        if method == "post" and path.startswith("/v1/"):
            assert "Idempotency-Key" in header_params(op), path


def test_kept_reads_declare_conditional_requests_and_validators():
    article = DOCUMENT["paths"]["/v1/articles/{ref}"]["get"]
    assert {"If-None-Match", "If-Modified-Since", "Accept"} <= set(header_params(article))
    assert "application/ninjs+json" in header_params(article)["Accept"]["description"]
    assert "304" in article["responses"]
    assert {"ETag", "Last-Modified", "Cache-Control", "Surrogate-Key", "X-Request-ID"} <= set(
        article["responses"]["200"]["headers"]
    )
    listing = DOCUMENT["paths"]["/v1/articles"]["get"]["responses"]["200"]["headers"]
    assert "Link" in listing
    created = DOCUMENT["paths"]["/v1/authors"]["post"]["responses"]["201"]["headers"]
    assert {"Location", "ETag"} <= set(created)


def test_feeds_and_the_stream_take_the_key_in_the_query():
    scheme = DOCUMENT["components"]["securitySchemes"]["APIKeyQuery"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "query", "api_key")
    with_query = {
        (path, method)
        for path, method, op in operations()
        if {"APIKeyQuery": []} in op.get("security", [])
    }
    assert with_query == {
        ("/v1/feeds/site.{ext}", "get"),
        ("/v1/feeds/{kind}/{ref}.{ext}", "get"),
        ("/v1/feed/stream", "get"),
    }
    for path, method in with_query:
        params = DOCUMENT["paths"][path][method]["parameters"]
        assert any(p["name"] == "api_key" and p["in"] == "query" for p in params)


def test_the_stream_is_text_event_stream_without_3_2_keywords():
    content = DOCUMENT["paths"]["/v1/feed/stream"]["get"]["responses"]["200"]["content"]
    # Described, not typed: a `string` schema makes tools check each event's JSON data
    # against it, and 3.1 has no schema per event.
    assert list(content) == ["text/event-stream"]
    assert "type" not in content["text/event-stream"]["schema"]
    assert "itemSchema" not in json.dumps(DOCUMENT)


def test_operations_have_ids_and_summaries_that_read_well():
    ids = [op["operationId"] for _, _, op in operations()]
    assert len(ids) == len(set(ids))
    assert DOCUMENT["paths"]["/v1/authors"]["post"]["operationId"] == "create_author"
    assert DOCUMENT["paths"]["/v1/authors"]["post"]["summary"] == "Create an author"
    for path, method, op in operations():
        summary = op.get("summary", "")
        assert summary and summary[0].isupper(), (method, path)
        assert not re.search(r"\ba [aeiou]", summary), summary


def test_every_tag_used_is_defined_with_a_description():
    defined = {tag["name"]: tag.get("description") for tag in DOCUMENT["tags"]}
    used = {tag for _, _, op in operations() for tag in op.get("tags", [])}
    assert used <= set(defined)
    assert all(defined[tag] for tag in used)


@pytest.mark.anyio
async def test_declared_headers_are_sent(client, session):
    """What the document promises, a real answer carries (a list, a create, a preview link)."""
    for i in range(2):
        make_article(session, headline=f"Story {i}")
    listing = await client.get("/v1/articles?limit=1")
    declared = DOCUMENT["paths"]["/v1/articles"]["get"]["responses"]["200"]["headers"]
    assert listing.status_code == 200
    missing = {name for name in declared if name.lower() not in listing.headers}
    assert not missing

    admin = make_key(session, "admin")
    created = await client.post(
        "/v1/keys",
        json={"name": "partner", "scopes": ["content:read"]},
        headers={"Authorization": f"Bearer {admin}"},
    )
    assert created.status_code == 201
    assert created.headers["location"] == f"/v1/keys/{created.json()['data']['id']}"

    previewer = make_key(session, "content:preview")
    article = make_article(session, headline="Draft", status=ArticleStatus.draft)
    link = await client.post(f"/v1/articles/{article.id}/preview", headers={"X-API-Key": previewer})
    assert link.status_code == 201
    assert link.headers["location"] == link.json()["data"]["url"]


@pytest.mark.anyio
async def test_an_unknown_query_parameter_is_still_refused_where_api_key_is_declared(client):
    response = await client.get("/v1/feeds/site.rss?api_key=&bogus=1")
    assert response.status_code in (400, 401)
    response = await client.get("/v1/feeds/site.rss?bogus=1")
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")


# --- ReDoc and Swagger UI in a real browser --------------------------------------------------


def chromium() -> str:
    """The Chromium binary; in CI its absence is a failure (`.ci/run` installs it)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail("chromium is not installed (Debian: apt-get install chromium)")
    pytest.skip("chromium is not installed (Debian: apt-get install chromium)")


def rendered(url: str) -> str:
    """The DOM of `url` once its scripts ran, from headless Chromium (retried once when the
    browser gives nothing, as a first start on a cold profile sometimes does)."""
    browser = chromium()
    for _ in range(2):
        with tempfile.TemporaryDirectory(prefix="byline-chromium-") as profile:
            result = subprocess.run(
                [
                    browser,
                    *("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"),
                    f"--user-data-dir={profile}",
                    "--virtual-time-budget=15000",
                    "--dump-dom",
                    url,
                ],
                capture_output=True,
                text=True,
                timeout=180,
                check=False,
            )
        if result.stdout.strip():
            return result.stdout
    raise AssertionError(f"chromium rendered nothing: {result.stderr[-2000:]}")


@pytest.fixture(scope="module")
def docs_server(engine) -> Any:
    with running_server() as base:
        yield base


def test_redoc_renders_every_operation_without_an_error(docs_server):
    dom = rendered(f"{docs_server}/redoc")
    assert "Something went wrong" not in dom
    assert "Invalid reference" not in dom
    for _, _, op in operations():
        assert op["summary"].replace("'", "&#x27;") in dom or op["summary"] in dom, op["summary"]


def test_swagger_ui_renders_every_operation_without_an_error(docs_server):
    dom = rendered(f"{docs_server}/docs")
    blocks = re.findall(r'class="opblock opblock-(get|post|patch|delete|put)', dom)
    # An operation is listed under each of its tags.
    assert len(blocks) == sum(len(op["tags"]) for _, _, op in operations())
    assert "Create an author" in dom
    assert "Failed to load API definition" not in dom
    assert "Resolver error" not in dom
    assert 'class="errors-wrapper"' not in dom
