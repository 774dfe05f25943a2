"""Article bodies as typed blocks, and what is derived from them once, at write time."""

import html
import math
import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import nh3
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator

from app.inputs import STRIP_MARKUP, Flag, Text, Url, reject_nul

# Reading speed behind `reading_time_minutes`: minutes are rounded up, so any text over
# 200 words reads as at least two minutes.
WORDS_PER_MINUTE = 200

INLINE_TAGS = {"a", "em", "strong"}
_INLINE_ATTRIBUTES = {"a": {"href", "title"}}
_URL_SCHEMES = {"http", "https", "mailto"}


class _Block(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        return reject_nul(value)


class ParagraphBlock(_Block):
    type: Literal["paragraph"] = "paragraph"
    html: str = Field(max_length=20_000, description="Inline HTML: only `a`, `em`, `strong`.")


class HeadingBlock(_Block):
    type: Literal["heading"] = "heading"
    level: int = Field(2, ge=2, le=4)
    text: Text = Field(max_length=300)


class QuoteBlock(_Block):
    type: Literal["quote"] = "quote"
    text: Text = Field(max_length=5_000)
    attribution: Text | None = Field(None, max_length=300)


class PhotoBlock(_Block):
    type: Literal["photo"] = "photo"
    photo_id: str = Field(max_length=40)


class EmbedBlock(_Block):
    type: Literal["embed"] = "embed"
    provider: Text = Field(max_length=100)
    url: Url
    title: Text | None = Field(None, max_length=300)


class ListBlock(_Block):
    type: Literal["list"] = "list"
    ordered: Flag = False
    items: list[str] = Field(max_length=500, description="Inline HTML items.")


class RelatedBlock(_Block):
    type: Literal["related"] = "related"
    related_id: str = Field(
        max_length=40, description="The id of one of the article's related links."
    )


Block = Annotated[
    ParagraphBlock | HeadingBlock | QuoteBlock | PhotoBlock | EmbedBlock | ListBlock | RelatedBlock,
    Field(discriminator="type"),
]
BlockList = TypeAdapter(list[Block])


def clean_inline(fragment: str) -> str:
    """Inline HTML limited to links and emphasis; scripts, handlers and odd schemes removed."""
    return nh3.clean(
        fragment,
        tags=INLINE_TAGS,
        attributes=_INLINE_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener",
    )


def inline_text(fragment: str) -> str:
    return html.unescape(nh3.clean(fragment, tags=set()))


@dataclass(frozen=True)
class Derived:
    html: str
    text: str
    word_count: int
    reading_time_minutes: int


# Placeholders in stored HTML for what must reflect its target as it is now.
PHOTO_SLOT = '<figure class="photo" data-photo-id="{}"></figure>'
RELATED_SLOT = '<aside class="related" data-related-id="{}"></aside>'
SLOT_PATTERN = re.compile(
    r'<figure class="photo" data-photo-id="([^"]+)"></figure>'
    r'|<aside class="related" data-related-id="([^"]+)"></aside>'
)


def derive(blocks: list[dict[str, Any]]) -> Derived:
    """HTML, plain text, word count and reading time of a validated, sanitized body."""
    parts: list[str] = []
    texts: list[str] = []
    for block in blocks:
        kind = block["type"]
        if kind == "paragraph":
            parts.append(f"<p>{block['html']}</p>")
            texts.append(inline_text(block["html"]))
        elif kind == "heading":
            level = block.get("level", 2)
            parts.append(f"<h{level}>{html.escape(block['text'])}</h{level}>")
            texts.append(block["text"])
        elif kind == "quote":
            cite = block.get("attribution")
            footer = f"<footer>{html.escape(cite)}</footer>" if cite else ""
            parts.append(f"<blockquote><p>{html.escape(block['text'])}</p>{footer}</blockquote>")
            texts.append(block["text"])
        elif kind == "list":
            tag = "ol" if block.get("ordered") else "ul"
            items = "".join(f"<li>{item}</li>" for item in block["items"])
            parts.append(f"<{tag}>{items}</{tag}>")
            texts.extend(inline_text(item) for item in block["items"])
        elif kind == "embed":
            url = html.escape(block["url"])
            title = html.escape(block.get("title") or block["url"])
            provider = html.escape(block["provider"])
            parts.append(
                f'<figure class="embed" data-provider="{provider}">'
                f'<a href="{url}">{title}</a></figure>'
            )
        elif kind == "photo":
            parts.append(PHOTO_SLOT.format(html.escape(block["photo_id"])))
        elif kind == "related":
            parts.append(RELATED_SLOT.format(html.escape(block["related_id"])))
    text = "\n\n".join(texts)
    words = len(text.split())
    return Derived(
        html="\n".join(parts),
        text=text,
        word_count=words,
        reading_time_minutes=max(1, math.ceil(words / WORDS_PER_MINUTE)),
    )


def sanitize(blocks: list[Any]) -> list[dict[str, Any]]:
    """Validate blocks by type and clean every piece of inline HTML.

    A request's body was refused already if a plain-text field (heading, quote, embed
    title) held markup; what reaches here with markup was stored before that rule (a
    restored revision), and has its tags stripped rather than failing the save."""
    validated = BlockList.validate_python(blocks, context={STRIP_MARKUP: True})
    out: list[dict[str, Any]] = []
    for block in validated:
        data = block.model_dump(exclude_none=True)
        if data["type"] == "paragraph":
            data["html"] = clean_inline(data["html"])
        elif data["type"] == "list":
            data["items"] = [clean_inline(item) for item in data["items"]]
        out.append(data)
    return out


def body_columns(blocks: list[Any]) -> dict[str, Any]:
    """The stored body and everything derived from it, as columns of an Article row."""
    clean = sanitize(blocks)
    derived = derive(clean)
    return {
        "body": clean,
        "body_html": derived.html,
        "body_text": derived.text,
        "word_count": derived.word_count,
        "reading_time_minutes": derived.reading_time_minutes,
    }
