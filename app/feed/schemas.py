"""The public shape of News Feed entries."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from app.inputs import Input, Ref, Text, Url, UtcTime
from app.models import FeedEntry, FeedKind


class FeedArticleRef(BaseModel):
    id: str
    slug: str


class FeedEntryOut(BaseModel):
    id: str
    kind: FeedKind
    title: str
    summary: str | None
    url: str | None
    article: FeedArticleRef | None
    published_at: datetime | None
    updated_at: datetime
    version: int


FIELDS = tuple(FeedEntryOut.model_fields)


def feed_entry_out(entry: FeedEntry, article_slug: str | None) -> dict[str, Any]:
    """`article_slug` is the linked article's slug when a reader may see it, else None."""
    return {
        "id": entry.id,
        "kind": entry.kind,
        "title": entry.title,
        "summary": entry.summary,
        "url": entry.url,
        "article": {"id": entry.article_id, "slug": article_slug} if article_slug else None,
        "published_at": entry.published_at,
        "updated_at": entry.updated_at,
        "version": entry.version,
    }


class FeedEntryFields(Input):
    summary: Text | None = Field(None, max_length=5_000)
    url: Url | None = None
    article: Ref | None = Field(None, description="The article it is about (id or slug).")


class FeedEntryCreate(FeedEntryFields):
    kind: FeedKind = FeedKind.news
    title: Text = Field(min_length=1, max_length=300)
    status: Literal["draft", "published"] = "published"
    published_at: UtcTime | None = Field(None, description="Default: now.")


class FeedEntryUpdate(FeedEntryFields):
    kind: FeedKind = None  # type: ignore[assignment]
    title: Text = Field(None, min_length=1, max_length=300)  # type: ignore[assignment]
    status: Literal["draft", "published", "unpublished"] = None  # type: ignore[assignment]
    published_at: UtcTime = None  # type: ignore[assignment]
