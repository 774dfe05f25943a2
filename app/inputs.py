"""Building blocks of request bodies: strict models (unknown fields refused), bounded
strings without NUL characters, well-formed slugs and URLs, times taken as UTC."""

import re
import unicodedata
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from app.timeparams import as_utc

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


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
