"""Building blocks of request bodies: strict models (unknown fields refused), bounded
strings without NUL characters, plain text that holds no markup, well-formed slugs and
URLs, times taken as UTC."""

import html
import re
import unicodedata
from datetime import datetime
from typing import Annotated, Any, get_args, get_origin

import nh3
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from app.timeparams import as_utc

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"

# What an HTML parser would take for the start of a tag, an end tag, a comment, a doctype
# or a processing instruction. `a < b`, `a<3`, `&` and entities are text and stay as typed.
TAG_LIKE = re.compile(r"<[A-Za-z/!?]")
# Validation context under which plain text holding markup is stripped instead of refused:
# re-deriving what is already stored (a body written before the rule) must not fail.
STRIP_MARKUP = "strip_markup"


def reject_nul(value: Any) -> Any:
    """No stored text may hold NUL (PostgreSQL refuses it; nothing legitimate needs it)."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("NUL characters are not allowed")
    elif isinstance(value, list | tuple):
        for item in value:
            reject_nul(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            reject_nul(key)
            reject_nul(item)
    return value


class Input(BaseModel):
    """A request body: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        return reject_nul(value)


def has_markup(value: str) -> bool:
    """Whether plain text holds a tag-like sequence (`<` then a letter, `/`, `!` or `?`)."""
    return TAG_LIKE.search(value) is not None


def strip_markup(value: str) -> str:
    """`value` with its tags removed and its text kept: nh3 with no tag allowed, entities
    decoded back to the characters they stand for. Repeats while decoding brought a new
    tag-like sequence (`&lt;b&gt;` inside markup); whatever still looks like a tag after
    that loses its `<`."""
    for _ in range(5):
        if not has_markup(value):
            return value
        value = html.unescape(nh3.clean(value, tags=set()))
    return TAG_LIKE.sub(lambda m: m.group(0)[1:], value)


def _plain_text(value: str, info: ValidationInfo) -> str:
    if not has_markup(value):
        return value
    if info.context and info.context.get(STRIP_MARKUP):
        return strip_markup(value)
    raise PydanticCustomError(
        "markup",
        "plain text: markup such as '{found}' is not allowed (here `<` may not be followed "
        "by a letter, `/`, `!` or `?`)",
        {"found": TAG_LIKE.search(value).group(0)},  # type: ignore[union-attr]
    )


# Every field that is text, not HTML: headlines, names, captions, descriptions. Bounds go
# beside it (`Text = Field(max_length=...)`). HTML fields (paragraphs, list items) are
# sanitized instead, in `app.articles.blocks`.
Text = Annotated[str, AfterValidator(_plain_text)]


def _is_text(annotation: Any) -> bool:
    if get_origin(annotation) is Annotated:
        return any(
            isinstance(m, AfterValidator) and m.func is _plain_text for m in annotation.__metadata__
        ) or _is_text(get_args(annotation)[0])
    return any(_is_text(arg) for arg in get_args(annotation))


def plain_text_fields(model: type[BaseModel]) -> tuple[str, ...]:
    """The fields of a write schema that are `Text` (alone, optional or in a union)."""
    return tuple(
        name
        for name, info in model.model_fields.items()
        if _is_text(info.annotation)
        or any(isinstance(m, AfterValidator) and m.func is _plain_text for m in info.metadata)
    )


Slug = Annotated[
    str,
    Field(
        min_length=1,
        max_length=200,
        pattern=SLUG_PATTERN,
        description="Lower-case letters, digits and single hyphens.",
    ),
]
Ref = Annotated[str, Field(min_length=1, max_length=200, description="An id or a slug.")]
Url = Annotated[str, Field(max_length=1000, pattern=r"^https?://[^\s]+$")]
Language = Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$", max_length=16)]
UtcTime = Annotated[datetime, AfterValidator(as_utc)]


def slugify(text: str, *, max_length: int = 80) -> str:
    """A slug from a title: ASCII, lower case, words joined by hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "untitled"
