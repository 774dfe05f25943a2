"""The public shapes of sections."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from app.inputs import Input, Slug, Text
from app.models import Section


class SectionRef(BaseModel):
    id: str
    slug: str
    name: str


class SectionOut(SectionRef):
    description: str | None
    position: int
    updated_at: datetime
    version: int


FIELDS = tuple(SectionOut.model_fields)


def section_ref(section: Section) -> dict[str, Any]:
    return {"id": section.id, "slug": section.slug, "name": section.name}


def section_out(section: Section) -> dict[str, Any]:
    return {
        **section_ref(section),
        "description": section.description,
        "position": section.position,
        "updated_at": section.updated_at,
        "version": section.version,
    }


class SectionCreate(Input):
    slug: Slug | None = Field(None, description="Default: made from the name.")
    name: Text = Field(min_length=1, max_length=200)
    description: Text | None = Field(None, max_length=5_000)
    position: int = Field(0, ge=0, le=10_000, description="Order in navigation.")


class SectionUpdate(Input):
    slug: Slug = None  # type: ignore[assignment]
    name: Text = Field(None, min_length=1, max_length=200)  # type: ignore[assignment]
    description: Text | None = Field(None, max_length=5_000)
    position: int = Field(None, ge=0, le=10_000)  # type: ignore[assignment]
