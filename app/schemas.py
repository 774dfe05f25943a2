"""Envelopes shared by every resource, and the problems any of them can answer, for the
OpenAPI document (`app/openapi.py` gives every error answer the `Problem` schema)."""

from typing import Generic, TypeVar

from pydantic import BaseModel

T = TypeVar("T")


class One(BaseModel, Generic[T]):
    data: T


class ListMeta(BaseModel):
    next_cursor: str | None
    limit: int
    total: int | None = None


class ListLinks(BaseModel):
    next: str | None


class Many(BaseModel, Generic[T]):
    data: list[T]
    meta: ListMeta
    links: ListLinks


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem, sent as `application/problem+json`."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    request_id: str | None = None
    errors: list[FieldError] | None = None


# What each problem status means, for every operation that can give it.
PROBLEMS: dict[int, str] = {
    400: "Invalid or unknown parameter",
    401: "No key where one is needed, or a bad, revoked or expired key",
    403: "The key lacks the scope",
    404: "Not found",
    405: "This path does not take that method; `Allow` lists those it takes",
    409: "Conflicts with the current state (a taken slug), or the Idempotency-Key is in use",
    412: "If-Match names a version that is no longer current",
    413: "The body is larger than the limit",
    415: "The body is not JSON (or multipart where files go)",
    422: "Invalid input; `errors` names each field and what is wrong with it",
    428: "If-Match is required",
    429: "Over the rate limit; see Retry-After",
    500: "The server failed; `request_id` identifies the failure in its logs",
    503: "Not ready: the database is unreachable or its schema is not current",
}

PROBLEM_RESPONSES: dict[int | str, dict[str, object]] = {
    400: {"model": Problem, "description": "Invalid or unknown parameter"},
    401: {"model": Problem, "description": "No key where one is needed, or a bad key"},
    403: {"model": Problem, "description": "The key lacks the scope"},
    404: {"model": Problem, "description": "Not found"},
    429: {"model": Problem, "description": "Over the rate limit; see Retry-After"},
}

WRITE_RESPONSES: dict[int | str, dict[str, object]] = {
    **PROBLEM_RESPONSES,
    409: {"model": Problem, "description": "Conflicts with the current state (a taken slug)"},
    412: {"model": Problem, "description": "If-Match names a version that is no longer current"},
    413: {"model": Problem, "description": "The body is larger than the limit"},
    415: {"model": Problem, "description": "The body is not JSON (or multipart where files go)"},
    422: {"model": Problem, "description": "The body fails validation; `errors` names fields"},
    428: {"model": Problem, "description": "If-Match is required"},
}


def creates(a_label: str) -> str:
    """The description of a route that creates `a_label` ("a section")."""
    return f"Create {a_label}. Send `Idempotency-Key` so that a retry cannot make a twin."


PATCHES = (
    "A JSON merge patch. Needs `If-Match` with the ETag of the version you edited: 428 "
    "without it, 412 when someone saved since."
)
DELETES = "Needs `If-Match`. Refused (409) while other content uses it."
