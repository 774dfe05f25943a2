"""The public shapes of tags."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from app.inputs import Input, Slug, Text
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


class TagCreate(Input):
    slug: Slug | None = Field(None, description="Default: made from the name.")
    name: Text = Field(min_length=1, max_length=200)
    description: Text | None = Field(None, max_length=5_000)


class TagUpdate(Input):
    slug: Slug = None  # type: ignore[assignment]
    name: Text = Field(None, min_length=1, max_length=200)  # type: ignore[assignment]
    description: Text | None = Field(None, max_length=5_000)
