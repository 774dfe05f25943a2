"""The public shapes of authors."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from app.inputs import Input, Slug, Text, Url
from app.models import Author, AuthorKind


class AuthorRef(BaseModel):
    id: str
    slug: str
    name: str


class AuthorOut(AuthorRef):
    kind: AuthorKind
    job_title: Text | None
    bio: str | None
    avatar_url: str | None
    url: str | None
    updated_at: datetime
    version: int


class BylineAuthor(AuthorOut):
    role: str


FIELDS = tuple(AuthorOut.model_fields)


def author_ref(author: Author) -> dict[str, Any]:
    return {"id": author.id, "slug": author.slug, "name": author.name}


def author_out(author: Author) -> dict[str, Any]:
    return {
        **author_ref(author),
        "kind": author.kind,
        "job_title": author.job_title,
        "bio": author.bio,
        "avatar_url": author.avatar_url,
        "url": author.url,
        "updated_at": author.updated_at,
        "version": author.version,
    }


class AuthorFields(Input):
    job_title: Text | None = Field(None, max_length=200)
    bio: Text | None = Field(None, max_length=10_000)
    avatar_url: Url | None = None
    url: Url | None = Field(None, description="The author's page.")


class AuthorCreate(AuthorFields):
    slug: Slug | None = Field(None, description="Default: made from the name.")
    name: Text = Field(min_length=1, max_length=200)
    kind: AuthorKind = AuthorKind.person


class AuthorUpdate(AuthorFields):
    slug: Slug = None  # type: ignore[assignment]
    name: Text = Field(None, min_length=1, max_length=200)  # type: ignore[assignment]
    kind: AuthorKind = None  # type: ignore[assignment]
