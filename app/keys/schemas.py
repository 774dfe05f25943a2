"""The shapes of API keys and their usage."""

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator

from app.db import utcnow
from app.inputs import Flag, Text
from app.models import ApiKey, KeyUsage, Scope
from app.timeparams import iso_8601

SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text = Field(min_length=1, max_length=200)
    scopes: list[Scope] = Field(min_length=1, max_length=5)
    tags: list[str] = Field(default=[], max_length=500, description="Partner: tag slugs.")
    sections: list[str] = Field(
        default=[], max_length=100, validate_default=True, description="Partner: section slugs."
    )
    advance_embargo: Flag = Field(False, description="Partner: receive embargoed stories early.")
    rate_limit: int | None = Field(None, ge=1, le=1_000_000, description="Requests a minute.")
    expires_at: Annotated[datetime, BeforeValidator(iso_8601)] | None = None

    @field_validator("sections")
    @classmethod
    def partner_needs_an_allowlist(cls, sections: list[str], info: ValidationInfo) -> list[str]:
        partner = Scope.partner in info.data.get("scopes", [])
        if partner and not (sections or info.data.get("tags")):
            raise ValueError("a partner key needs at least one section or tag")
        return sections

    @field_validator("expires_at")
    @classmethod
    def aware_and_ahead(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return value
        if value.tzinfo is None:
            raise ValueError("needs a time zone offset (use Z for UTC)")
        # A key born expired would be listed as active and refused on its first use.
        if value <= utcnow():
            raise ValueError("must be in the future")
        return value


class KeyOut(BaseModel):
    id: str
    name: str
    prefix: str
    scopes: list[Scope]
    sections: list[str]
    tags: list[str]
    advance_embargo: bool
    rate_limit: int | None
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    created_at: datetime


class KeyCreated(KeyOut):
    secret: str = Field(description="Shown once, now; only a hash of it is kept.")


class UsageDay(BaseModel):
    day: date
    requests: int
    items: int


def key_out(key: ApiKey) -> dict[str, Any]:
    return {
        "id": key.id,
        "name": key.name,
        "prefix": f"byl_{key.prefix}",
        "scopes": key.scopes,
        "sections": key.sections,
        "tags": key.tags,
        "advance_embargo": key.advance_embargo,
        "rate_limit": key.rate_limit,
        "expires_at": key.expires_at,
        "revoked_at": key.revoked_at,
        "last_used_at": key.last_used_at,
        "created_at": key.created_at,
    }


def usage_out(usage: KeyUsage) -> dict[str, Any]:
    return {"day": usage.day.isoformat(), "requests": usage.requests, "items": usage.items}
