"""The public shape of the site."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from app.models import Site


class MembershipBanner(BaseModel):
    text: str
    url: str | None
    cta: str | None


class SiteOut(BaseModel):
    name: str
    url: str
    timezone: str
    language: str
    description: str | None
    membership_banner: MembershipBanner | None
    updated_at: datetime


FIELDS = tuple(SiteOut.model_fields)


def site_out(site: Site) -> dict[str, Any]:
    banner = (
        {"text": site.banner_text, "url": site.banner_url, "cta": site.banner_cta}
        if site.banner_text
        else None
    )
    return {
        "name": site.name,
        "url": site.url,
        "timezone": site.timezone,
        "language": site.language,
        "description": site.description,
        "membership_banner": banner,
        "updated_at": site.updated_at,
    }
