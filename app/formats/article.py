"""One article in the representation a client asked for: `?format=` or `Accept`."""

from typing import Any, Literal

from fastapi import Request
from sqlmodel import Session
from starlette.responses import Response

from app import surrogate
from app.errors import InvalidParameter
from app.formats.common import JSON_LD, NINJS, document_response, resource_uri
from app.formats.jsonld import news_article, script_safe_json
from app.formats.ninjs import ninjs
from app.formats.service import get_publication
from app.models import Article
from app.pagination import absolute_url
from app.representation import Fields
from app.responses import dumps
from app.visibility import Viewer

ArticleFormat = Literal["json", "ninjs", "ninjs3", "jsonld"]

FORMAT_DESCRIPTION = (
    "Representation: `json` (default), `ninjs` (IPTC ninjs 2.2, also chosen by "
    "`Accept: application/ninjs+json`), `ninjs3` (ninjs 3.1), `jsonld` (schema.org "
    "NewsArticle). The other formats are the document itself, without the `data` envelope."
)
_DOCUMENT = {"schema": {"type": "object", "additionalProperties": True}}
# For the document: the route reads `Accept` itself (`negotiate`), so it is declared here.
ACCEPT_PARAMETER = {
    "name": "Accept",
    "in": "header",
    "required": False,
    "description": f"`{NINJS}` chooses ninjs 2.2 when `format=` is not given.",
    "schema": {"type": "string"},
}
FORMAT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {NINJS: _DOCUMENT, JSON_LD: _DOCUMENT}},
}


def negotiate(format: ArticleFormat | None, request: Request, fields: Fields) -> ArticleFormat:
    """The representation to answer with: `format=` wins over `Accept`.

    The `Accept` test is the render cache's own (`cache.NEGOTIATED`), so a kept answer is
    always the representation its key names.
    """
    chosen: ArticleFormat = format or (
        "ninjs" if NINJS in request.headers.get("accept", "") else "json"
    )
    if chosen != "json" and fields.names:
        raise InvalidParameter("fields", f"sparse fieldsets are for format=json, not {chosen}")
    return chosen


def article_document(
    request: Request,
    session: Session,
    chosen: ArticleFormat,
    *,
    article: Article,
    out: dict[str, Any],
    viewer: Viewer,
    headers: dict[str, str] | None = None,
) -> Response:
    """The ninjs or JSON-LD answer for an article whose public JSON (for this reader) is
    `out`."""
    publication = get_publication(session, fallback_url=absolute_url(request, "/"))
    if chosen == "jsonld":
        body = script_safe_json(news_article(article, out, publication=publication))
        media_type = JSON_LD
    else:
        photos = [out["lead_photo"], *(b["photo"] for b in out["body"] if b["type"] == "photo")]
        document = ninjs(
            article,
            out,
            publication=publication,
            uri=resource_uri(request, "articles", article.id),
            photo_uris={p["id"]: resource_uri(request, "photos", p["id"]) for p in photos if p},
            now=viewer.now,
            version="3.1" if chosen == "ninjs3" else "2.2",
        )
        body, media_type = dumps(document), NINJS
    return document_response(
        request,
        body,
        media_type,
        items=1,
        keys={*surrogate.article_keys(out), surrogate.SITE},
        headers=headers,
    )
