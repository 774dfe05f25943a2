"""The public shapes of sections."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel

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
