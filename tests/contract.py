"""Every JSON answer the tests receive, checked against the committed OpenAPI document.

`check(response)` finds the operation by method and path template, takes the response
schema for the status and `application/json`, and validates the body with jsonschema
(OpenAPI 3.1 schemas are JSON Schema 2020-12; `$ref`s resolve into the document's
components). Error answers are held to the `Problem` component whatever content type the
document declares for them. The `client` fixtures and `servers.checked_client` hook it in.
"""

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import httpx
from jsonschema import Draft202012Validator

DOCUMENT = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"
JSON_TYPES = ("application/json", "application/problem+json")
# Answers with JSON bodies that are no operation of the API: the document itself.
UNDOCUMENTED = {"/openapi.json"}


class ContractError(AssertionError):
    """An answer that is not what the OpenAPI document says."""


@cache
def _document() -> dict[str, Any]:
    return json.loads(DOCUMENT.read_text())


@cache
def _templates() -> list[tuple[re.Pattern[str], str]]:
    """Path templates as patterns, literal ones first (`/v1/feed/stream` before
    `/v1/feed/{id}`)."""
    patterns = []
    for template in _document()["paths"]:
        regex = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        patterns.append((re.compile(f"^{regex}$"), template))
    return sorted(patterns, key=lambda p: (p[1].count("{"), p[1]))


def operation(method: str, path: str) -> tuple[str, dict[str, Any]] | None:
    """The path template and operation a request matched in the document, or None."""
    for pattern, template in _templates():
        if pattern.match(path):
            found = _document()["paths"][template].get(method.lower())
            if found is not None:
                return template, found
    return None


@cache
def _validator(pointer: str) -> Draft202012Validator:
    """A validator for the schema at `pointer` in the document, its `$ref`s resolvable."""
    schema: Any = _document()
    for part in pointer.strip("/").split("/"):
        schema = schema[part.replace("~1", "/").replace("~0", "~")]
    wrapped = {**schema, "components": _document()["components"]}
    return Draft202012Validator(wrapped, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def _fail(response: httpx.Response, message: str) -> None:
    request = response.request
    raise ContractError(
        f"{request.method} {request.url.path} -> {response.status_code}: {message}\n"
        f"{response.text[:2000]}"
    )


def validate(method: str, path: str, status: int, content_type: str, body: Any) -> str | None:
    """Why an answer breaks the document, or None when it does not."""
    if status >= 400:
        pointer = "/components/schemas/Problem"
    else:
        found = operation(method, path)
        if found is None:
            return "no operation in the document for this path and method"
        template, op = found
        responses = op.get("responses", {})
        key = str(status) if str(status) in responses else "default"
        content = responses.get(key, {}).get("content")
        if key not in responses:
            return f"status {status} is not documented"
        media = content_type if content_type in (content or {}) else "application/json"
        if "schema" not in (content or {}).get(media, {}):
            return f"no schema for {content_type} with status {status}"
        pointer = (
            f"/paths/{_escape(template)}/{method.lower()}/responses/{key}/content/"
            f"{_escape(media)}/schema"
        )
    errors = sorted(_validator(pointer).iter_errors(body), key=lambda e: list(e.absolute_path))
    if not errors:
        return None
    return "; ".join(
        f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message[:300]}"
        for e in errors[:5]
    )


def check_answer(response: httpx.Response) -> None:
    """Fail when a read JSON answer breaks the document (other answers pass)."""
    content_type = response.headers.get("content-type", "").split(";")[0].strip()
    if content_type not in JSON_TYPES or not response.content:
        return
    path = response.request.url.path
    if path in UNDOCUMENTED and response.status_code < 400:
        return
    try:
        body = response.json()
    except ValueError:
        _fail(response, "not JSON")
        return
    why = validate(response.request.method, path, response.status_code, content_type, body)
    if why is None and response.status_code >= 400:
        why = problem_mismatch(response.status_code, body)
    if why is not None:
        _fail(response, why)


def problem_mismatch(status: int, body: Any) -> str | None:
    """Why a problem is not one of the registered types with its status and title."""
    from app.errors import PROBLEM_BASE, PROBLEM_TYPES

    code = str(body.get("type", "")).removeprefix(PROBLEM_BASE)
    if code not in PROBLEM_TYPES:
        return f"problem type {body.get('type')!r} is not in app.errors.PROBLEM_TYPES"
    if PROBLEM_TYPES[code] != (status, body.get("title")):
        return f"{code} is {PROBLEM_TYPES[code]}, not ({status}, {body.get('title')!r})"
    return None


async def check(response: httpx.Response) -> None:
    """An httpx response hook (async clients): `event_hooks={"response": [check]}`."""
    if _streaming(response):
        return
    await response.aread()
    check_answer(response)


def check_sync(response: httpx.Response) -> None:
    """`check` for synchronous clients (real-server tests)."""
    if _streaming(response):
        return
    response.read()
    check_answer(response)


def _streaming(response: httpx.Response) -> bool:
    # An event stream never ends: reading it here would wait forever.
    return response.headers.get("content-type", "").startswith("text/event-stream")
