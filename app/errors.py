"""Typed errors, and the one place that renders every failure as RFC 9457 problem+json."""

import logging
import re
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.responses import ProblemResponse, dumps

log = logging.getLogger("byline")

PROBLEM_BASE = "/problems/"

# Every problem type the service sends: its status and its one title. Titles are in
# sentence case; header names and acronyms keep their own spelling (`Idempotency-Key`,
# `JSON`). docs/errors.md lists each; the tests hold every answer they get to this table.
PROBLEM_TYPES: dict[str, tuple[int, str]] = {
    "bad-request": (400, "Bad request"),
    "invalid-parameter": (400, "Invalid parameter"),
    "count-too-large": (400, "Too many to count"),
    "malformed-json": (400, "Malformed JSON"),
    "invalid-idempotency-key": (400, "Invalid Idempotency-Key"),
    "unauthorized": (401, "Unauthorized"),
    "forbidden": (403, "Forbidden"),
    "not-found": (404, "Not found"),
    "method-not-allowed": (405, "Method not allowed"),
    "conflict": (409, "Conflict"),
    "idempotency-key-in-use": (409, "Request in progress"),
    "precondition-failed": (412, "Precondition failed"),
    "payload-too-large": (413, "Payload too large"),
    "unsupported-media-type": (415, "Unsupported media type"),
    "validation-failed": (422, "Validation failed"),
    "idempotency-key-reused": (422, "Idempotency-Key reused"),
    "precondition-required": (428, "Precondition required"),
    "rate-limited": (429, "Too many requests"),
    "internal-error": (500, "Internal server error"),
    "unavailable": (503, "Service unavailable"),
}


class ProblemError(Exception):
    """An error a client should see. Subclasses fix the status and the problem type."""

    status = 400
    code = "bad-request"
    title = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = headers


class BadRequest(ProblemError):
    pass


class InvalidParameter(ProblemError):
    code = "invalid-parameter"
    title = "Invalid parameter"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", errors=[{"field": field, "message": message}])


class CountTooLarge(ProblemError):
    """`count=exact` on a list longer than the server counts row by row."""

    code = "count-too-large"
    title = "Too many to count"

    def __init__(self, limit: int) -> None:
        message = (
            f"more than {limit:,} items match: too many to count exactly; "
            "ask with count=estimate instead"
        )
        super().__init__(f"count: {message}", errors=[{"field": "count", "message": message}])


class NotFound(ProblemError):
    status = 404
    code = "not-found"
    title = "Not found"


class Conflict(ProblemError):
    status = 409
    code = "conflict"
    title = "Conflict"


class PreconditionFailed(ProblemError):
    status = 412
    code = "precondition-failed"
    title = "Precondition failed"


class PreconditionRequired(ProblemError):
    status = 428
    code = "precondition-required"
    title = "Precondition required"


class PayloadTooLarge(ProblemError):
    status = 413
    code = "payload-too-large"
    title = "Payload too large"


class UnsupportedMediaType(ProblemError):
    status = 415
    code = "unsupported-media-type"
    title = "Unsupported media type"


class ValidationFailed(ProblemError):
    """A body that is well-formed but wrong: each error names its field."""

    status = 422
    code = "validation-failed"
    title = "Validation failed"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", errors=[{"field": field, "message": message}])


class ServiceUnavailable(ProblemError):
    status = 503
    code = "unavailable"
    title = "Service unavailable"


def problem_body(
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    instance: str | None,
    request_id: str | None,
    errors: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """The RFC 9457 body every failure answers with; a registered type's title is the
    table's, whatever the caller passed."""
    title = PROBLEM_TYPES.get(code, (status, title))[1]
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        "request_id": request_id,
    }
    if errors is not None:
        body["errors"] = errors
    return body


def problem(
    request: Request,
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> ProblemResponse:
    body = problem_body(
        status=status,
        code=code,
        title=title,
        detail=detail,
        instance=request.url.path,
        request_id=request.scope.get("state", {}).get("request_id"),
        errors=errors,
    )
    return ProblemResponse(body, status_code=status, headers=headers)


def problem_message(
    scope: dict[str, Any], status: int, code: str, title: str, detail: str
) -> bytes:
    """The same body as bytes, for answers the edge gives before routing (401, 413, 429)."""
    return dumps(
        problem_body(
            status=status,
            code=code,
            title=title,
            detail=detail,
            instance=scope["path"],
            request_id=scope.get("state", {}).get("request_id"),
        )
    )


_LOCATIONS = {"query", "path", "header", "body", "cookie"}
_NO_INPUT: Any = object()
# Errors that say only "the value is not of this type": when a union's members disagree,
# the member that looked inside the value has the useful message.
_TYPE_MISMATCH = re.compile(r"(_type|_attributes_type)$")


def field_path(loc: Sequence[str | int], value: Any = _NO_INPUT, *, kind: str = "") -> str:
    """An error location written as clients index the JSON they sent: names joined by
    dots, list positions in brackets (`body[1].photo_id`, `authors[0].role`, `limit`).

    With the input `value`, segments that do not step into it are left out: those are
    pydantic's names for union members and tags (`BylineIn`, `photo`, `constrained-str`),
    not fields the client wrote. A name the input lacks is kept when it is the last one and
    the error is not a type mismatch: a field the client left out (missing, or one whose
    default a rule refused)."""
    out = ""
    current: Any = value
    for i, segment in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(segment, int):
            if current is _NO_INPUT or (isinstance(current, list) and segment < len(current)):
                out += f"[{segment}]"
                current = current[segment] if current is not _NO_INPUT else current
            continue
        if current is _NO_INPUT or (isinstance(current, dict) and segment in current):
            out += f".{segment}" if out else segment
            current = current[segment] if current is not _NO_INPUT else current
        elif last and isinstance(current, dict) and not _TYPE_MISMATCH.search(kind):
            out += f".{segment}" if out else segment
    return out or "request"


def _field_name(loc: tuple[Any, ...], body: Any = _NO_INPUT, kind: str = "") -> str:
    if loc and loc[0] in _LOCATIONS:
        value = body if loc[0] == "body" and body is not None else _NO_INPUT
        return field_path(loc[1:], value, kind=kind)
    return field_path(loc, kind=kind)


def _request_errors(raw: Sequence[dict[str, Any]], body: Any) -> list[dict[str, str]]:
    """Pydantic's errors as `{"field", "message"}`, one style of path, union noise out."""
    found = []
    for error in raw:
        loc = tuple(error.get("loc", ()))
        name = _field_name(loc, body, error.get("type", ""))
        found.append((name, error))
    useful = {name for name, e in found if not _TYPE_MISMATCH.search(e.get("type", ""))}
    errors = []
    for name, error in found:
        # Two members of a union both rejected the value: "not a string" beside "role:
        # markup is not allowed" says nothing; keep the member's error that went deeper.
        deeper = any(other.startswith((f"{name}.", f"{name}[")) for other in useful)
        if _TYPE_MISMATCH.search(error.get("type", "")) and (deeper or name in useful):
            continue
        item = {"field": name, "message": error["msg"]}
        if item not in errors:
            errors.append(item)
    return errors or [{"field": "request", "message": "invalid request"}]


async def _problem_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, ProblemError)
    return problem(
        request,
        status=exc.status,
        code=exc.code,
        title=exc.title,
        detail=exc.detail,
        errors=exc.errors,
        headers=exc.headers,
    )


async def _validation_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RequestValidationError)
    raw = exc.errors()
    broken = next((e for e in raw if e.get("type") == "json_invalid"), None)
    if broken is not None:
        # Not JSON at all is a malformed request (400), not a body that fails validation.
        where = (broken.get("ctx") or {}).get("error", "invalid JSON")
        return problem(
            request,
            status=400,
            code="malformed-json",
            title="Malformed JSON",
            detail=f"The request body is not valid JSON: {where}.",
            errors=[{"field": "body", "message": str(where)}],
        )
    errors = _request_errors(raw, getattr(exc, "body", _NO_INPUT))
    # Bad query, path or header values are a 400; a body that fails validation is a 422.
    in_body = any(tuple(e.get("loc", ()))[:1] == ("body",) for e in raw)
    status, code, title = (
        (422, "validation-failed", "Validation failed")
        if in_body
        else (400, "invalid-parameter", "Invalid parameter")
    )
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return problem(request, status=status, code=code, title=title, detail=detail, errors=errors)


async def _http_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, StarletteHTTPException)
    phrase = HTTPStatus(exc.status_code).phrase
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != phrase else None
    if exc.status_code == 404 and detail is None:
        detail = f"No resource at {request.url.path}."
    elif exc.status_code == 405 and detail is None:
        detail = f"{request.method} is not allowed on {request.url.path}."
    return problem(
        request,
        status=exc.status_code,
        code=phrase.lower().replace(" ", "-"),
        title=phrase.capitalize(),  # "Not found", as every other problem's title reads
        detail=detail or phrase,
        headers=getattr(exc, "headers", None),
    )


async def _unexpected_error(request: Request, exc: Exception) -> ProblemResponse:
    log.exception("unhandled error", extra={"request_id": request.scope.get("state", {})})
    return problem(
        request,
        status=500,
        code="internal-error",
        title="Internal server error",
        detail="The server failed to answer; the request id identifies it in the logs.",
    )


def install_error_handlers(app: FastAPI) -> None:
    """Route every failure, expected or not, to a problem+json answer."""
    app.add_exception_handler(ProblemError, _problem_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
