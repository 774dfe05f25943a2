"""The public shape of the change log."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class SyncItem(BaseModel):
    type: Literal["article", "author", "feed_entry", "photo", "section", "tag"]
    id: str
    action: Literal["upsert", "delete"]
    at: datetime = Field(description="When the object last changed for this reader.")
    data: dict[str, Any] | None = Field(
        None, description="Only for `upsert`: the object as its read endpoint returns it."
    )


class SyncMeta(BaseModel):
    next_cursor: str = Field(description="Always set: where to resume, even after the end.")
    has_more: bool
    limit: int


class SyncLinks(BaseModel):
    next: str | None


class SyncPageOut(BaseModel):
    data: list[SyncItem]
    meta: SyncMeta
    links: SyncLinks
