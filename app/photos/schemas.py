"""The public shape of photos."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from app.contract import sparse
from app.inputs import Flag, Input, Text, Url
from app.models import Photo
from app.photos.storage import media_url, stored_path


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

# What photo routes document (`fields=` may leave fields out); articles embed `PhotoOut`, whole.
PhotoAnswer = sparse(PhotoOut, name="Photo")


def photo_keys(photo: Photo) -> list[str]:
    """The surrogate keys of a photo's answers (and of every answer that shows it)."""
    return [f"photo:{photo.id}"]


def photo_urls(photo: Photo) -> tuple[str, list[dict[str, Any]]]:
    """The photo's URL and renditions as readers fetch them: an uploaded photo's files by
    their paths in the media store, under the media URL of now (`storage.media_url`)."""
    folder = photo.storage_key
    if not folder:
        return photo.url, photo.renditions
    renditions = [{**r, "url": media_url(stored_path(r["url"], folder))} for r in photo.renditions]
    return media_url(stored_path(photo.url, folder)), renditions


def photo_out(photo: Photo) -> dict[str, Any]:
    url, renditions = photo_urls(photo)
    return {
        "id": photo.id,
        "url": url,
        "caption": photo.caption,
        "credit": photo.credit,
        "photographer": photo.photographer,
        "agency": photo.agency,
        "alt_text": photo.alt_text,
        "width": photo.width,
        "height": photo.height,
        "mime_type": photo.mime_type,
        "renditions": renditions,
        "rights": {
            "syndication_allowed": photo.syndication_allowed,
            "copyright_holder": photo.copyright_holder,
            "usage_terms": photo.usage_terms,
        },
        "updated_at": photo.updated_at,
        "version": photo.version,
    }


class PhotoMetadata(Input):
    """What an editor says about a photo; with an upload, these are the form's other fields."""

    caption: Text | None = Field(None, max_length=5_000)
    credit: Text | None = Field(None, max_length=300)
    photographer: Text | None = Field(None, max_length=200)
    agency: Text | None = Field(None, max_length=200)
    alt_text: Text | None = Field(None, max_length=1_000)
    copyright_holder: Text | None = Field(None, max_length=300)
    usage_terms: Text | None = Field(None, max_length=5_000)
    syndication_allowed: Flag = Field(
        False, description="Partners receive the photo only when this is true."
    )


class RenditionIn(Input):
    width: int = Field(ge=1, le=20_000)
    height: int | None = Field(None, ge=1, le=20_000)
    url: Url


class PhotoCreate(PhotoMetadata):
    """A photo kept elsewhere (an agency's server), by URL; to upload the file itself, send
    multipart/form-data with `file` and these fields instead."""

    url: Url
    width: int | None = Field(None, ge=1, le=100_000)
    height: int | None = Field(None, ge=1, le=100_000)
    mime_type: str | None = Field(None, max_length=100, pattern=r"^image/[a-z0-9.+-]+$")
    renditions: list[RenditionIn] = Field(default_factory=list, max_length=20)


class PhotoUpdate(PhotoMetadata):
    """A merge patch of a photo's metadata (an uploaded file is replaced by a new photo)."""

    syndication_allowed: Flag = None  # type: ignore[assignment]
