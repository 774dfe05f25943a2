"""Envelopes shared by every resource, for the OpenAPI document."""

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


class Problem(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    request_id: str | None = None
    errors: list[dict[str, str]] | None = None


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
