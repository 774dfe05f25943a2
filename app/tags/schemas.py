"""The public shapes of tags."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from app.models import Tag


class TagRef(BaseModel):
    id: str
    slug: str
    name: str


class TagOut(TagRef):
    description: str | None
    updated_at: datetime
    version: int


FIELDS = tuple(TagOut.model_fields)


def tag_ref(tag: Tag) -> dict[str, Any]:
    return {"id": tag.id, "slug": tag.slug, "name": tag.name}


def tag_out(tag: Tag) -> dict[str, Any]:
    return {
        **tag_ref(tag),
        "description": tag.description,
        "updated_at": tag.updated_at,
        "version": tag.version,
    }
