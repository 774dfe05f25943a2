"""Feeds (`/v1/feeds/...`) and the news sitemap (`/v1/sitemaps/news.xml`): thin handlers."""

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.responses import Response

from app import surrogate
from app.articles.rendering import article_out
from app.auth import Reader, query_key
from app.db import SessionDep, utcnow
from app.errors import NotFound
from app.formats import feeds, service
from app.formats.common import ATOM, JSON_FEED, RSS, SITEMAP, document_response, resource_uri
from app.formats.service import FEED_INCLUDE, FeedScope, Publication
from app.formats.sitemap import news_sitemap
from app.models import Article
from app.pagination import absolute_url
from app.policy import RouteOptions
from app.schemas import PROBLEM_RESPONSES
from app.urls import api_path
from app.visibility import Viewer

router = APIRouter(tags=["formats"])

FEED_DEFAULT = 50
FEED_MAX = 100
Renderer = Callable[[feeds.FeedInfo, list[feeds.FeedItem]], bytes]
FEED_FORMATS: dict[str, tuple[Renderer, str]] = {
    "rss": (feeds.rss, RSS),
    "atom": (feeds.atom, ATOM),
    "json": (feeds.json_feed, JSON_FEED),
}


def _document(*media_types: str) -> dict[int | str, dict[str, Any]]:
    content = {m.split(";")[0]: {"schema": {"type": "string"}} for m in media_types}
    return {**PROBLEM_RESPONSES, 200: {"description": "The document.", "content": content}}


FeedLimit = Annotated[int, Query(ge=1, le=FEED_MAX, description="Newest items to list, 1 to 100.")]
FeedExt = Annotated[str, Path(description="`rss`, `atom` or `json`.")]
_FEED_ROUTE: dict[str, Any] = {
    "response_class": Response,
    "responses": _document(RSS, ATOM, JSON_FEED),
    "dependencies": [Depends(query_key)],
}


@router.get("/feeds/site.{ext}", summary="Site feed (RSS, Atom, JSON Feed)", **_FEED_ROUTE)
def site_feed(
    ext: FeedExt,
    request: Request,
    session: SessionDep,
    viewer: Reader,
    limit: FeedLimit = FEED_DEFAULT,
) -> Response:
    """The newest stories of the whole site the caller may read: `site.rss` (RSS 2.0 with
    Media RSS), `site.atom` (Atom 1.0) or `site.json` (JSON Feed 1.1)."""
    return _feed(request, session, viewer, kind="site", ref=None, ext=ext, limit=limit)


@router.get("/feeds/{kind}/{ref}.{ext}", summary="Section, tag or author feed", **_FEED_ROUTE)
def scoped_feed(
    kind: Annotated[str, Path(description="`section`, `tag` or `author`.")],
    ref: Annotated[str, Path(description="Its slug or id.")],
    ext: FeedExt,
    request: Request,
    session: SessionDep,
    viewer: Reader,
    limit: FeedLimit = FEED_DEFAULT,
) -> Response:
    """The newest stories of a `section`, `tag` or `author` (by slug or id), e.g.
    `/v1/feeds/section/news.atom`."""
    return _feed(request, session, viewer, kind=kind, ref=ref, ext=ext, limit=limit)


def _feed(
    request: Request,
    session: SessionDep,
    viewer: Viewer,
    *,
    kind: str,
    ref: str | None,
    ext: str,
    limit: int,
) -> Response:
    if ext not in FEED_FORMATS:
        raise NotFound(f"No feed format {ext!r}: choose rss, atom or json.")
    render, media_type = FEED_FORMATS[ext]
    scope = service.resolve_scope(session, kind=kind, ref=ref)
    articles, embeds = service.feed_articles(session, scope=scope, viewer=viewer, limit=limit)
    outs = [article_out(a, embeds, include=FEED_INCLUDE, now=viewer.now) for a in articles]
    publication = service.get_publication(session, fallback_url=absolute_url(request, "/"))
    items = [
        feeds.FeedItem(resource_uri(request, "articles", a.id), o, _embargo(a, viewer))
        for a, o in zip(articles, outs, strict=True)
    ]
    info = _feed_info(request, publication, scope, outs)
    return document_response(
        request, render(info, items), media_type, items=len(items), keys=scope.surrogate_keys
    )


def _embargo(article: Article, viewer: Viewer) -> datetime | None:
    until = article.embargo_until
    return until if until is not None and until > viewer.now else None


def _feed_info(
    request: Request, pub: Publication, scope: FeedScope, outs: list[dict[str, Any]]
) -> feeds.FeedInfo:
    path = request.url.path
    # The key a feed reader subscribed with stays out of the document.
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "api_key"]
    self_url = absolute_url(request, path) + (f"?{urlencode(query)}" if query else "")
    if scope.kind == "site":
        title = pub.name
        description = pub.description or f"The latest stories from {pub.name}."
    else:
        title = f"{pub.name}: {scope.name}"
        preposition = "by" if scope.kind == "author" else "in"
        description = scope.description or (
            f"The latest stories {preposition} {scope.name} from {pub.name}."
        )
    updated = max((o["updated_at"] for o in outs), default=pub.updated_at or utcnow())
    return feeds.FeedInfo(
        publication=pub,
        title=title,
        description=description,
        feed_id=absolute_url(request, path),
        self_url=self_url,
        updated=updated,
        tag_scheme=absolute_url(request, api_path("/tags")),
        section_scheme=absolute_url(request, api_path("/sections")),
    )


@router.get(
    "/sitemaps/news.xml",
    summary="Google News sitemap",
    # A 48-hour window moves without a write: rendered afresh every five minutes.
    dependencies=[Depends(RouteOptions(max_age=300))],
    response_class=Response,
    responses=_document(SITEMAP),
)
def news_sitemap_xml(request: Request, session: SessionDep, viewer: Reader) -> Response:
    """Google News sitemap: the caller's readable stories of the last 48 hours (at most
    1,000) that have a web page."""
    articles = service.recent_articles(session, viewer=viewer)
    publication = service.get_publication(session, fallback_url=absolute_url(request, "/"))
    body, listed = news_sitemap(articles, publication=publication)
    return document_response(
        request, body, SITEMAP, items=listed, keys={surrogate.ARTICLES, surrogate.SITE}
    )
