"""The public shape of photos."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from app.models import Photo


class Rendition(BaseModel):
    width: int
    height: int | None
    url: str


class PhotoRights(BaseModel):
    syndication_allowed: bool
    copyright_holder: str | None
    usage_terms: str | None


class PhotoOut(BaseModel):
    id: str
    url: str
    caption: str | None
    credit: str | None
    photographer: str | None
    agency: str | None
    alt_text: str | None
    width: int | None
    height: int | None
    mime_type: str | None
    renditions: list[Rendition]
    rights: PhotoRights
    updated_at: datetime
    version: int


FIELDS = tuple(PhotoOut.model_fields)


def photo_out(photo: Photo) -> dict[str, Any]:
    return {
        "id": photo.id,
        "url": photo.url,
        "caption": photo.caption,
        "credit": photo.credit,
        "photographer": photo.photographer,
        "agency": photo.agency,
        "alt_text": photo.alt_text,
        "width": photo.width,
        "height": photo.height,
        "mime_type": photo.mime_type,
        "renditions": photo.renditions,
        "rights": {
            "syndication_allowed": photo.syndication_allowed,
            "copyright_holder": photo.copyright_holder,
            "usage_terms": photo.usage_terms,
        },
        "updated_at": photo.updated_at,
        "version": photo.version,
    }
