"""The public shapes of articles, and the functions that build them from loaded rows."""

import html
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.articles.blocks import SLOT_PATTERN, Block
from app.articles.service import Embeds, RelatedCard
from app.authors.schemas import AuthorRef, BylineAuthor, author_out, author_ref
from app.contract import sparse
from app.inputs import ArticleSlug, Input, Language, Ref, Text, Url, UtcTime
from app.models import Article, ArticleStatus, ArticleType
from app.photos.schemas import PhotoOut, photo_out
from app.sections.schemas import SectionRef, section_ref
from app.tags.schemas import TagRef, tag_ref
from app.visibility import public_status

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


def _related_out(card: RelatedCard, embeds: Embeds) -> dict[str, Any]:
    link, target = card.link, card.target
    if target is None:
        return {
            "id": link.id,
            "kind": "external",
            "inline": link.inline,
            "url": link.url,
            "title": link.title,
            "summary": link.summary,
            "site_name": link.site_name,
            "authors": [],
            "published_at": None,
            "article": None,
        }
    return {
        "id": link.id,
        "kind": "article",
        "inline": link.inline,
        "url": target["canonical_url"],
        "title": target["headline"],
        "summary": target["summary"],
        "site_name": embeds.site.name if embeds.site else None,
        "authors": [author_ref(a) for a, _ in embeds.related_authors.get(target["id"], [])],
        "published_at": target["published_at"],
        "article": {"id": target["id"], "slug": target["slug"]},
    }


def _card_html(card: dict[str, Any]) -> str:
    title = html.escape(card["title"] or "")
    href = html.escape(card["url"] or "")
    summary = f"<p>{html.escape(card['summary'])}</p>" if card["summary"] else ""
    byline = ", ".join(a["name"] for a in card["authors"])
    source = " · ".join(x for x in (card["site_name"], byline) if x)
    footer = f"<footer>{html.escape(source)}</footer>" if source else ""
    return (
        f'<aside class="related" data-related-id="{html.escape(card["id"])}">'
        f'<a href="{href}">{title}</a>{summary}{footer}</aside>'
    )


def _photo_html(photo: dict[str, Any]) -> str:
    alt = html.escape(photo["alt_text"] or "")
    caption = " ".join(
        x for x in (photo["caption"], photo["credit"] and f"({photo['credit']})") if x
    )
    figcaption = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return (
        f'<figure class="photo" data-photo-id="{html.escape(photo["id"])}">'
        f'<img src="{html.escape(photo["url"])}" alt="{alt}">{figcaption}</figure>'
    )


def _body(
    article: Article, photos: dict[str, dict[str, Any]], cards: dict[str, dict[str, Any]]
) -> tuple[list[dict[str, Any]], str]:
    """Blocks and HTML with photos and related cards as they are now; vanished ones drop out."""
    blocks: list[dict[str, Any]] = []
    for block in article.body:
        if block["type"] == "photo":
            if block["photo_id"] not in photos:
                continue
            block = {**block, "photo": photos[block["photo_id"]]}
        elif block["type"] == "related":
            if block["related_id"] not in cards:
                continue
            block = {**block, "related": cards[block["related_id"]]}
        blocks.append(block)

    def fill(match: Any) -> str:
        photo_id, related_id = match.groups()
        if photo_id:
            return _photo_html(photos[photo_id]) if photo_id in photos else ""
        return _card_html(cards[related_id]) if related_id in cards else ""

    body_html = (
        SLOT_PATTERN.sub(fill, article.body_html)
        if "data-" in article.body_html
        else article.body_html
    )
    return blocks, body_html


def article_out(
    article: Article,
    embeds: Embeds,
    *,
    include: frozenset[str] | tuple[str, ...],
    now: datetime,
    detail: bool = False,
) -> dict[str, Any]:
    """The public JSON of an article; a list item carries only what `include` names."""
    section = embeds.sections.get(article.section_id) if article.section_id else None
    out: dict[str, Any] = {
        "id": article.id,
        "slug": article.slug,
        "type": article.type,
        "status": public_status(article.status, article.published_at, now),
        "headline": article.headline,
        "subheadline": article.subheadline,
        "dateline": article.dateline,
        "summary": article.summary,
        "word_count": article.word_count,
        "reading_time_minutes": article.reading_time_minutes,
        "language": article.language,
        "section": section_ref(section) if section else None,
        "published_at": article.published_at,
        "updated_at": article.updated_at,
        "first_published_at": article.first_published_at,
        "canonical_url": article.canonical_url,
        "version": article.version,
    }
    if "authors" in include:
        out["authors"] = [
            {**author_out(a), "role": role} for a, role in embeds.authors.get(article.id, [])
        ]
    if "tags" in include:
        out["tags"] = [tag_ref(t) for t in embeds.tags.get(article.id, [])]
    if "lead_photo" in include:
        photo = embeds.photos.get(article.lead_photo_id) if article.lead_photo_id else None
        out["lead_photo"] = photo_out(photo) if photo else None
    cards: dict[str, dict[str, Any]] = {}
    if "related" in include or "body" in include:
        cards = {c.link.id: _related_out(c, embeds) for c in embeds.related.get(article.id, [])}
    if "related" in include:
        out["related"] = list(cards.values())
    if "body" in include:
        photos = {pid: photo_out(p) for pid, p in embeds.photos.items()}
        out["body"], out["body_html"] = _body(article, photos, cards)
    if detail:
        out["corrections"] = [
            {"id": c.id, "text": c.text, "created_at": c.created_at}
            for c in embeds.corrections.get(article.id, [])
        ]
        out["translations"] = [
            {
                "id": t.id,
                "slug": t.slug,
                "language": t.language,
                "headline": t.headline,
                "canonical_url": t.canonical_url,
            }
            for t in embeds.translations.get(article.translation_group or "", [])
            if t.id != article.id
        ]
    return out


# What editors send.


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
