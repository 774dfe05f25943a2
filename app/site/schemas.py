"""The public shape of the site."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field

from app.contract import sparse
from app.inputs import Input, Language, Text, Url, WebUrl
from app.models import Site


class MembershipBanner(BaseModel):
    text: str
    url: str | None
    cta: str | None


class Logo(BaseModel):
    url: str
    width: int | None = Field(description="Pixels, when known.")
    height: int | None = Field(description="Pixels, when known.")


class SiteOut(BaseModel):
    name: str
    url: str
    timezone: str
    language: str
    description: str | None
    membership_banner: MembershipBanner | None
    logo: Logo | None = Field(description="The publication's logo: the publisher's in JSON-LD.")
    updated_at: datetime
    version: int


FIELDS = tuple(SiteOut.model_fields)

# What the site's routes document: `fields=` may leave out any field (the site has no `id`).
SiteAnswer = sparse(SiteOut, keep=())


def site_out(site: Site) -> dict[str, Any]:
    banner = (
        {"text": site.banner_text, "url": site.banner_url, "cta": site.banner_cta}
        if site.banner_text
        else None
    )
    logo = (
        {"url": site.logo_url, "width": site.logo_width, "height": site.logo_height}
        if site.logo_url
        else None
    )
    return {
        "name": site.name,
        "url": site.url,
        "timezone": site.timezone,
        "language": site.language,
        "description": site.description,
        "membership_banner": banner,
        "logo": logo,
        "updated_at": site.updated_at,
        "version": site.version,
    }


# As long as their columns hold (500 characters).
SiteUrl = Annotated[str, WebUrl(max_length=500)]


class SiteUpdate(Input):
    """A merge patch of the publication's settings. Before the site exists, `name`, `url`,
    `timezone` and `language` create it."""

    name: Text = Field(None, min_length=1, max_length=200)  # type: ignore[assignment]
    url: SiteUrl = None  # type: ignore[assignment]
    timezone: str = Field(None, max_length=64, description="IANA name: Europe/Kyiv.")  # type: ignore[assignment]
    language: Language = None  # type: ignore[assignment]
    description: Text | None = Field(None, max_length=5_000)
    banner_text: Text | None = Field(None, max_length=500, description="Membership campaign.")
    banner_url: SiteUrl | None = None
    banner_cta: Text | None = Field(None, max_length=100)
    logo_url: Url | None = Field(None, description="The publication's logo image.")
    logo_width: int | None = Field(None, ge=1, le=100_000, description="Pixels.")
    logo_height: int | None = Field(None, ge=1, le=100_000, description="Pixels.")
