"""Typed errors, and the one place that renders every failure as RFC 9457 problem+json."""

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.responses import ProblemResponse, dumps

log = logging.getLogger("byline")

PROBLEM_BASE = "/problems/"


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
    """The RFC 9457 body every failure answers with."""
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


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"query", "path", "header", "body", "cookie"}:
        parts = parts[1:]
    return ".".join(parts) or "request"


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
    errors = [{"field": _field_name(tuple(e.get("loc", ()))), "message": e["msg"]} for e in raw]
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
