"""Building blocks of request bodies: strict models (unknown fields refused), bounded
strings without NUL characters, plain text that holds no markup, well-formed slugs, times
taken as UTC, and web URLs (RFC 3986, at the end of this module)."""

import html
import re
import unicodedata
from datetime import datetime
from typing import Annotated, Any, get_args, get_origin

import nh3
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from app.timeparams import as_utc, iso_8601

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


def _flag(value: Any) -> Any:
    # JSON's true and false (and a form field's "true" and "false"); never 0 or "yes".
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise PydanticCustomError("bool_type", "Input should be true or false")


# A yes-or-no field of a request body.
Flag = Annotated[bool, BeforeValidator(_flag)]


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


def _slug(max_length: int) -> Any:
    """A slug as its column holds it: no longer than the column."""
    return Annotated[
        str,
        Field(
            min_length=1,
            max_length=max_length,
            pattern=SLUG_PATTERN,
            description="Lower-case letters, digits and single hyphens.",
        ),
    ]


# Authors', sections' and tags' slugs (100 characters), and stories' (200).
Slug = _slug(100)
ArticleSlug = _slug(200)
Ref = Annotated[str, Field(min_length=1, max_length=200, description="An id or a slug.")]
Language = Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$", max_length=16)]
UtcTime = Annotated[datetime, BeforeValidator(iso_8601), AfterValidator(as_utc)]


# Letters only one of the two languages writes, for Cyrillic text of no stated language.
_UKRAINIAN_ONLY = frozenset("іїєґІЇЄҐ")
_RUSSIAN_ONLY = frozenset("ыэъёЫЭЪЁ")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")


def romanized(text: str, *, language: str | None = None) -> str:
    """`text` in Latin letters: Ukrainian by the national standard (KMU 2010: "Київ" is
    "Kyiv"), Russian by the passport standard (ICAO Doc 9303, as Russia applies it), every
    other script by `anyascii`. The story's language decides; Cyrillic text of no stated
    language is taken as Ukrainian unless it holds letters only Russian writes."""
    from anyascii import anyascii
    from translitua import RussianICAO, UkrainianKMU, translit

    primary = (language or "").split("-")[0].lower()
    if _CYRILLIC.search(text):
        if primary == "ru" or (
            not primary and _RUSSIAN_ONLY & set(text) and not _UKRAINIAN_ONLY & set(text)
        ):
            text = translit(text, RussianICAO)
        elif primary in ("uk", ""):
            text = translit(text, UkrainianKMU)
    return anyascii(text)


def slugify(text: str, *, language: str | None = None, max_length: int = 80) -> str:
    """A slug from a title: its words romanized (`romanized`), lower case, joined by
    hyphens. "untitled" only for a title with no letter or digit in any script."""
    ascii_text = unicodedata.normalize("NFKD", romanized(text, language=language))
    ascii_text = ascii_text.encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "untitled"


# --- Web URLs ------------------------------------------------------------------------------
# Every URL a request may carry (photos and renditions, canonical and related links, embeds,
# authors, the site, News Feed entries, webhooks) is one of these: an absolute http or https
# URI by RFC 3986's grammar, as the `rfc3986` library checks it, so what goes out in ninjs
# `href`, feeds and HTML attributes is a URI and nothing more. International names and text
# (an IRI, RFC 3987) are taken and kept in their URI form: the host in IDNA (`xn--…`), other
# non-ASCII characters percent-encoded as UTF-8. ASCII characters a URI may not hold are
# refused, not encoded, because the library's parser would silently encode them.

import string as _string  # noqa: E402 (this block keeps its imports to itself)

import rfc3986  # noqa: E402
from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler  # noqa: E402
from pydantic.json_schema import JsonSchemaValue  # noqa: E402
from pydantic_core import CoreSchema, core_schema  # noqa: E402

URL_MAX_LENGTH = 1000
# RFC 3986 section 2: unreserved and reserved characters, and "%" that starts an escape.
_URI_CHARACTERS = frozenset(_string.ascii_letters + _string.digits + "-._~:/?#[]@!$&'()*+,;=%")
_PERCENT_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_WEB = (
    rfc3986.validators.Validator()
    .require_presence_of("scheme", "host")
    .allow_schemes("http", "https")
    .check_validity_of("scheme", "host", "port", "path", "query", "fragment")
)


def _invalid(message: str) -> PydanticCustomError:
    return PydanticCustomError("url_invalid", message)


def _refuse_characters(value: str) -> None:
    for char in value:
        if char.isascii() and char not in _URI_CHARACTERS:
            if char == " ":
                raise _invalid("may not contain a space (percent-encode it: %20)")
            if not char.isprintable():
                raise _invalid(f"may not contain control characters (U+{ord(char):04X})")
            raise _invalid(f"may not contain {char!r} (percent-encode it: %{ord(char):02X})")
        # Non-ASCII controls, invisible formatting (bidirectional overrides), separators
        # and unassigned or private-use code points: RFC 3987 leaves them out of an IRI.
        if not char.isascii() and unicodedata.category(char)[0] in "CZ":
            raise _invalid(f"may not contain U+{ord(char):04X} (an invisible or control character)")
    if _PERCENT_ESCAPE.search(value):
        raise _invalid("has a '%' that does not start a percent-encoding (%XX)")


def web_url(value: str, *, max_length: int = URL_MAX_LENGTH) -> str:
    """`value` as an absolute http or https URI of at most `max_length` characters, with
    scheme and host in lower case; raises a validation error that says what is wrong."""
    if len(value) > max_length:
        raise _invalid(f"must be at most {max_length} characters")
    _refuse_characters(value)
    iri = rfc3986.iri_reference(value)
    if iri.scheme is None or iri.authority is None:
        raise _invalid("must be an absolute http or https URL")
    try:
        uri = iri.encode()
    except rfc3986.exceptions.RFC3986Exception:
        raise _invalid("has an invalid host name") from None
    if uri.host is None:  # the authority did not parse
        raise _invalid("has an invalid host name or port")
    if not uri.host:
        raise _invalid("must name a host")
    uri = uri.copy_with(scheme=uri.scheme.lower(), authority=uri.authority.lower())
    if uri.userinfo is not None:
        raise _invalid("must not carry credentials (a user name or password)")
    try:
        _WEB.validate(uri)
    except rfc3986.exceptions.UnpermittedComponentError:
        raise _invalid("must be an absolute http or https URL") from None
    except rfc3986.exceptions.MissingComponentError:
        raise _invalid("must name a host") from None
    except rfc3986.exceptions.InvalidComponentsError as exc:
        part = {"host": "host name", "port": "port"}.get(exc.components[0], exc.components[0])
        raise _invalid(f"has an invalid {part}") from None
    result = uri.unsplit()
    if len(result) > max_length:
        raise _invalid(f"must be at most {max_length} characters as a URI (percent-encoded)")
    return result


class WebUrl:
    """Marks a `str` field as a web URL (see `web_url`); `Url` is the usual one."""

    def __init__(self, max_length: int = URL_MAX_LENGTH) -> None:
        self.max_length = max_length

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_after_validator_function(
            lambda value: web_url(value, max_length=self.max_length), handler(source)
        )

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema.update(format="uri", maxLength=self.max_length)
        return json_schema


Url = Annotated[str, WebUrl()]
