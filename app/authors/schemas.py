"""The public shapes of authors."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from app.models import Author, AuthorKind


class AuthorRef(BaseModel):
    id: str
    slug: str
    name: str


class AuthorOut(AuthorRef):
    kind: AuthorKind
    job_title: str | None
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
