"""The shapes of articles: what the API sends (summary, detail, cards, revisions) and what
it accepts (create, update, workflow bodies). Building them from rows: `rendering`."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.articles.blocks import Block
from app.authors.schemas import AuthorRef, BylineAuthor
from app.contract import sparse
from app.inputs import ArticleSlug, Input, Language, Ref, Text, Url, UtcTime
from app.models import ArticleStatus, ArticleType
from app.photos.schemas import PhotoOut
from app.sections.schemas import SectionRef
from app.tags.schemas import TagRef

INCLUDES = ("authors", "tags", "lead_photo", "related", "body")
# `include=` as the document gives it: names of INCLUDES, comma-separated.
_NAME = "(" + "|".join(INCLUDES) + ")"
INCLUDE_PATTERN = rf"^[\s,]*({_NAME}(\s*,[\s,]*{_NAME})*)?[\s,]*$"


class RelatedArticleRef(BaseModel):
    id: str
    slug: str


class RelatedOut(BaseModel):
    id: str
    kind: str  # "article" or "external"
    inline: bool
    url: str | None
    title: str | None
    summary: str | None
    site_name: str | None
    authors: list[AuthorRef]
    published_at: datetime | None
    article: RelatedArticleRef | None


class CorrectionOut(BaseModel):
    id: str
    text: str
    created_at: datetime


class TranslationOut(BaseModel):
    id: str
    slug: str
    language: str
    headline: str
    canonical_url: str | None


# Body blocks as answers carry them: the input blocks (`blocks.py`) plus, for a photo and a
# related card, the object they place, as it is now.


class ParagraphBlockOut(BaseModel):
    type: Literal["paragraph"]
    html: str = Field(description="Inline HTML: only `a`, `em`, `strong`.")


class HeadingBlockOut(BaseModel):
    type: Literal["heading"]
    level: int = Field(ge=2, le=4)
    text: str


class QuoteBlockOut(BaseModel):
    type: Literal["quote"]
    text: str
    attribution: str | None = Field(None, description="Left out when the quote has none.")


class PhotoBlockOut(BaseModel):
    type: Literal["photo"]
    photo_id: str
    photo: PhotoOut = Field(description="The photo as it is now.")


class EmbedBlockOut(BaseModel):
    type: Literal["embed"]
    provider: str
    url: str
    title: str | None = Field(None, description="Left out when the embed has none.")


class ListBlockOut(BaseModel):
    type: Literal["list"]
    ordered: bool
    items: list[str] = Field(description="Inline HTML items.")


class RelatedBlockOut(BaseModel):
    type: Literal["related"]
    related_id: str
    related: RelatedOut = Field(description="The related card this block places inline.")


BlockOut = Annotated[
    ParagraphBlockOut
    | HeadingBlockOut
    | QuoteBlockOut
    | PhotoBlockOut
    | EmbedBlockOut
    | ListBlockOut
    | RelatedBlockOut,
    Field(discriminator="type"),
]


class SearchHit(BaseModel):
    """Why an article matched `q`."""

    snippet: str = Field(
        description="An excerpt around the matches, HTML-escaped, matches in `<mark>`."
    )


class ArticleSummary(BaseModel):
    """An article in a list; `authors`, `tags`, `lead_photo`, `related`, `body` by `include=`."""

    id: str
    slug: str
    type: ArticleType
    status: ArticleStatus
    headline: str
    subheadline: str | None
    dateline: str | None
    summary: str | None
    word_count: int
    reading_time_minutes: int
    language: str
    section: SectionRef | None
    published_at: datetime | None
    updated_at: datetime
    first_published_at: datetime | None
    canonical_url: str | None
    version: int
    authors: list[BylineAuthor] | None = None
    tags: list[TagRef] | None = None
    lead_photo: PhotoOut | None = None
    related: list[RelatedOut] | None = None
    body: list[BlockOut] | None = None
    body_html: str | None = None
    search: SearchHit | None = Field(None, description="Only in lists searched with `q`.")


class ArticleDetail(ArticleSummary):
    """The whole article."""

    authors: list[BylineAuthor]
    tags: list[TagRef]
    related: list[RelatedOut]
    body: list[BlockOut]
    body_html: str
    corrections: list[CorrectionOut]
    translations: list[TranslationOut]


# What routes document: an answer with `fields=` may leave out any field but `id`.
ArticleSummaryAnswer = sparse(ArticleSummary)
ArticleDetailAnswer = sparse(ArticleDetail)

# `search` comes with `q`, not by being asked for.
FIELDS = tuple(f for f in ArticleDetail.model_fields if f != "search")


class PreviewLinkCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    expires_in: int = Field(
        86_400, ge=60, le=7 * 86_400, description="Seconds the link works (1 minute to 7 days)."
    )


class PreviewLink(BaseModel):
    token: str
    url: str
    expires_at: datetime


class BylineIn(Input):
    author: Ref
    role: Text = Field("author", min_length=1, max_length=50)


class ArticleFieldsIn(Input):
    """Fields an editor sets on create and may change on update."""

    subheadline: Text | None = Field(None, max_length=500)
    dateline: Text | None = Field(None, max_length=200)
    summary: Text | None = Field(None, max_length=5_000)
    section: Ref | None = Field(None, description="Section id or slug.")
    lead_photo: str | None = Field(None, max_length=40, description="Photo id.")
    canonical_url: Url | None = Field(None, description="Default: the site's URL, then `/<slug>/`.")
    translation_of: Ref | None = Field(
        None, description="An article (id or slug) this one is the same story as."
    )
    embargo_until: UtcTime | None = Field(
        None,
        description="Hidden from every reader until then (partners with advance access "
        "get it early, marked embargoed).",
    )


class ArticleCreate(ArticleFieldsIn):
    """A new article; it starts as a draft."""

    slug: ArticleSlug | None = Field(None, description="Default: made from the headline.")
    type: ArticleType = ArticleType.article
    headline: Text = Field(min_length=1, max_length=300)
    language: Language = "en"
    body: list[Block] = Field(default_factory=list, max_length=2_000)
    authors: list[Ref | BylineIn] = Field(default_factory=list, max_length=50)
    tags: list[Ref] = Field(default_factory=list, max_length=100)


class ArticleUpdate(ArticleFieldsIn):
    """A JSON merge patch: fields left out stay as they are; `null` clears a field that may
    be empty. Lists (`body`, `authors`, `tags`) are replaced whole."""

    # None as default means "not sent"; an explicit null is refused by the type.
    slug: ArticleSlug = None  # type: ignore[assignment]
    type: ArticleType = None  # type: ignore[assignment]
    headline: Text = Field(None, min_length=1, max_length=300)  # type: ignore[assignment]
    language: Language = None  # type: ignore[assignment]
    body: list[Block] = Field(None, max_length=2_000)  # type: ignore[assignment]
    authors: list[Ref | BylineIn] = Field(None, max_length=50)  # type: ignore[assignment]
    tags: list[Ref] = Field(None, max_length=100)  # type: ignore[assignment]


class PublishIn(Input):
    published_at: UtcTime | None = Field(
        None, description="Now if left out; a past time back-dates the story (imports)."
    )
    embargo_until: UtcTime | None = None


class ScheduleIn(Input):
    publish_at: UtcTime = Field(description="A future time: the story is visible from then.")
    embargo_until: UtcTime | None = None


class RelatedIn(Input):
    """A related card: another article of ours (`article`), or an external page (`url`)."""

    article: Ref | None = Field(None, description="Id or slug of one of our articles.")
    url: Url | None = None
    title: Text | None = Field(None, max_length=300)
    summary: Text | None = Field(None, max_length=5_000)
    site_name: Text | None = Field(None, max_length=200)
    position: int | None = Field(None, ge=0, le=1_000, description="Default: last.")


class RelatedUpdate(RelatedIn):
    """A merge patch of a related card."""


class CorrectionIn(Input):
    text: Text = Field(min_length=1, max_length=5_000)


class RevisionSummary(BaseModel):
    number: int
    action: str
    key_id: str | None
    created_at: datetime


class RevisionOut(RevisionSummary):
    article_id: str
    snapshot: dict[str, Any]


class FieldChange(BaseModel):
    field: str
    before: Any
    after: Any


class RevisionDiff(BaseModel):
    article_id: str
    number: int
    against: int
    changes: list[FieldChange]
    body_diff: str = Field(description="A unified diff of the body's text, block by block.")
