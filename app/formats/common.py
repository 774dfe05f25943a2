"""What every format shares: media types, identifiers, XML-safe text, the answer itself."""

import re
from collections.abc import Iterable

from fastapi import Request
from starlette.responses import Response

from app.pagination import absolute_url
from app.served import count_served
from app.urls import object_path

RSS = "application/rss+xml; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"
JSON_FEED = "application/feed+json; charset=utf-8"
NINJS = "application/ninjs+json"
JSON_LD = "application/ld+json"
SITEMAP = "application/xml; charset=utf-8"

# XML 1.0 forbids most control characters; one in a headline must not break a whole feed.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(value: str | None) -> str:
    """`value` with the characters XML 1.0 cannot carry removed ("" for None)."""
    return _NOT_XML.sub("", value or "")


def resource_uri(request: Request, kind: str, object_id: str) -> str:
    """The stable identifier of an object in every format: its address in this API.

    Ids never change (slugs and canonical URLs may), so feed readers and partners that
    deduplicate on it see an edited story as the same story.
    """
    return absolute_url(request, object_path(kind, object_id))


def document_response(
    request: Request,
    body: bytes,
    media_type: str,
    *,
    items: int,
    keys: Iterable[str] = (),
    headers: dict[str, str] | None = None,
) -> Response:
    """A rendered document with its `Surrogate-Key`s; counts `items` served (partner usage)."""
    count_served(request.scope, items)
    names = " ".join(sorted(set(keys)))
    extra = {"Surrogate-Key": names} if names else {}
    return Response(body, media_type=media_type, headers={**extra, **(headers or {})})
