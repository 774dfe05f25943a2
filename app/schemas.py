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
