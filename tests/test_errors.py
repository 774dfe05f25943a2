"""Every failure is RFC 9457 problem+json with a request id; query parameters are checked."""

import pytest

from tests.factories import make_article

pytestmark = pytest.mark.anyio

PROBLEM = "application/problem+json"


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail", "request_id"} <= body.keys()
    assert body["request_id"] == response.headers["x-request-id"]
    return body


async def test_unknown_query_parameter_is_a_400_naming_it(session, client):
    body = assert_problem(await client.get("/v1/articles?secton=news"), 400)
    assert body["errors"] == [{"field": "secton", "message": "unknown query parameter"}]
    assert "section" in body["detail"]


async def test_unknown_query_parameter_on_a_route_without_parameters(session, client):
    assert_problem(await client.get("/v1/site?x=1"), 400)


@pytest.mark.parametrize(
    "query, field",
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("type=podcast", "type"),
        ("order=random", "order"),
        ("published_after=yesterday", "published_after"),
        ("language=English!", "language"),
        ("count=maybe", "count"),
        ("include=comments", "include"),
        ("fields=headline,secret", "fields"),
        ("cursor=not-a-cursor", "cursor"),
        ("q=NOT+ceasefire", "q"),
        ("q=%22%22", "q"),
        ("order=relevance", "order"),
    ],
)
async def test_bad_value_is_a_400_naming_the_field(session, client, query, field):
    body = assert_problem(await client.get(f"/v1/articles?{query}"), 400)
    assert [e["field"] for e in body["errors"]] == [field]


async def test_cursor_of_another_order_is_refused(session, client):
    make_article(session)
    make_article(session)
    cursor = (await client.get("/v1/articles?limit=1")).json()["meta"]["next_cursor"]
    body = assert_problem(await client.get(f"/v1/articles?order=oldest&cursor={cursor}"), 400)
    assert body["errors"][0]["field"] == "cursor"


@pytest.mark.parametrize(
    "cursor",
    ["WyJuZXdlc3QiLDEsMl0", "WyJuZXdlc3QiLCIyMDI1LTA1LTAxIiwxXQ", "e30", "%00%01", "W10"],
    ids=["int-time", "naive-time", "object", "binary", "empty-list"],
)
async def test_forged_cursor_is_a_400_not_a_500(session, client, cursor):
    assert_problem(await client.get(f"/v1/articles?cursor={cursor}"), 400)


async def test_unknown_route_is_a_404_problem(session, client):
    assert_problem(await client.get("/v1/nothing-here"), 404)


async def test_wrong_method_is_a_405_problem(session, client):
    body = assert_problem(await client.delete("/v1/site"), 405)
    assert "DELETE" in body["detail"]


async def test_request_id_is_echoed_when_sane(session, client):
    response = await client.get("/v1/articles", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"


async def test_request_id_is_replaced_when_unsafe(session, client):
    response = await client.get("/v1/articles", headers={"X-Request-ID": "<script>"})
    assert response.headers["x-request-id"] != "<script>"
    assert len(response.headers["x-request-id"]) == 24


async def test_huge_ref_is_a_404_not_a_500(session, client):
    assert_problem(await client.get("/v1/articles/" + "x" * 5000), 404)


async def test_nul_character_in_a_parameter_is_a_400(session, client):
    body = assert_problem(await client.get("/v1/articles", params={"section": "нов\u0000ини"}), 400)
    assert body["errors"][0]["field"] == "section"


async def test_nul_character_in_the_path_is_a_400(session, client):
    assert_problem(await client.get("/v1/authors/a%00b"), 400)


async def test_any_unicode_in_a_filter_is_just_no_match(session, client):
    make_article(session)
    response = await client.get("/v1/articles", params={"tag": "😀,🙂", "section": "новини"})
    assert response.status_code == 200
    assert response.json()["data"] == []


def test_docs_list_every_problem_type_with_its_status_and_title():
    from pathlib import Path

    from app.errors import PROBLEM_BASE, PROBLEM_TYPES

    docs = Path(__file__).resolve().parent.parent / "docs" / "errors.md"
    rows = {
        cells[0].strip("` "): (int(cells[1]), cells[2].strip())
        for line in docs.read_text().splitlines()
        if line.startswith(f"| `{PROBLEM_BASE}")
        for cells in [[c.strip() for c in line.strip("|").split("|")]]
    }
    assert rows == {PROBLEM_BASE + code: entry for code, entry in PROBLEM_TYPES.items()}


def test_union_member_names_are_not_part_of_a_field_path():
    from app.errors import field_path

    body = {"body": [{"type": "photo"}], "authors": [{"author": "a", "role": "x"}]}
    assert field_path(("body", 0, "photo", "photo_id"), body, kind="missing") == "body[0].photo_id"
    assert field_path(("authors", 0, "BylineIn", "role"), body, kind="value_error") == (
        "authors[0].role"
    )
    assert field_path(("limit",)) == "limit"
