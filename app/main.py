"""The application: middleware, error handlers, the v1 API, docs served without a CDN."""

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse
from starlette.types import ASGIApp

from app import __version__, logs
from app.api import include as include_api
from app.config import get_settings
from app.edge import Edge
from app.errors import install_error_handlers
from app.openapi import install as install_openapi
from app.ops import router as ops
from app.photos.storage import MediaFiles, RequestBase

_DOCS_ASSETS = Path(fastapi_offline.__file__).parent / "static"

DESCRIPTION = """\
Byline is a headless content API for a newsroom: articles, authors, photos, related links,
sections, tags and the News Feed, as versioned JSON.

Lists use the envelope `{"data": [...], "meta": {...}, "links": {...}}` with opaque keyset
cursors; errors are RFC 9457 `application/problem+json`.

A key goes in `Authorization: Bearer <key>` or `X-API-Key` (feeds and the stream also take
`?api_key=`); reads need none while anonymous reads are on (the default). Every answer carries
`X-Request-ID` and the `RateLimit` fields; published reads have `ETag` and `Last-Modified` and
answer `If-None-Match`/`If-Modified-Since` with 304; changes to an object need `If-Match`; a
POST with `Idempotency-Key` is never made twice.
"""

TAGS = [
    {
        "name": "articles",
        "description": "Published stories: lists, filters, full-text search, "
        "one article as JSON, ninjs or JSON-LD, preview links.",
    },
    {
        "name": "editorial",
        "description": "Editorial changes (`content:write`): create, update "
        "with `If-Match`, delete, publish, schedule, corrections, related cards, revisions.",
    },
    {"name": "authors", "description": "People and collective desks, and their articles."},
    {
        "name": "photos",
        "description": "Photos with caption, credit, rights and renditions; uploads.",
    },
    {"name": "sections", "description": "Sections, in navigation order."},
    {"name": "tags", "description": "Tags."},
    {"name": "feed", "description": "The News Feed: entries, and their live stream (SSE)."},
    {"name": "site", "description": "The publication's settings and membership banner."},
    {"name": "formats", "description": "RSS, Atom and JSON Feed; the Google News sitemap."},
    {"name": "popular", "description": "View beacons and the most read articles."},
    {"name": "redirects", "description": "Old addresses of imported stories, and where they lead."},
    {"name": "sync", "description": "The ordered log of changes, for offline caches and mirrors."},
    {"name": "keys", "description": "API keys and their usage (`admin`)."},
    {"name": "webhooks", "description": "Webhook subscriptions and deliveries (`admin`)."},
    {"name": "audit", "description": "Every change, with the key that made it (`admin`)."},
    {"name": "operations", "description": "Liveness, readiness and metrics."},
]


def create_app() -> FastAPI:
    logs.install()
    app = FastAPI(
        title="Byline",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        docs_url=None,
        redoc_url=None,
    )
    install_error_handlers(app)
    install_openapi(app)
    include_api(app)
    app.include_router(ops)
    app.mount("/docs-assets", StaticFiles(directory=_DOCS_ASSETS), name="docs-assets")
    # Uploaded photos and their renditions (in production, put a CDN or MEDIA_URL in front).
    app.mount("/media", MediaFiles(), name="media")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="Byline API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon.png",
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url="/openapi.json",
            title="Byline API",
            redoc_js_url="/docs-assets/redoc.standalone.js",
            redoc_favicon_url="/docs-assets/favicon.png",
            with_google_fonts=False,
        )

    # Compression for answers the edge does not keep (it keeps its own gzip).
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    # Photo URLs name this request's host when no setting names one.
    app.add_middleware(RequestBase)
    return app


def create_service(routed: FastAPI | None = None) -> ASGIApp:
    """The deployed application: the edge in front of the routed API, CORS around both."""
    service: ASGIApp = Edge(routed or create_app())
    origins = [o.strip() for o in get_settings().cors_origins.split(",") if o.strip()]
    if origins:
        service = CORSMiddleware(
            service,
            allow_origins=origins,
            allow_methods=["GET", "HEAD", "POST", "PATCH", "DELETE", "OPTIONS"],
            allow_headers=[
                "Authorization",
                "X-API-Key",
                "Content-Type",
                "If-Match",
                "If-None-Match",
                "Idempotency-Key",
                "X-Request-ID",
            ],
            expose_headers=[
                "ETag",
                "Link",
                "Location",
                "Retry-After",
                "X-Request-ID",
                "RateLimit",
                "RateLimit-Policy",
                "RateLimit-Limit",
                "RateLimit-Remaining",
                "RateLimit-Reset",
            ],
            max_age=600,
        )
    return service


api = create_app()
app = create_service(api)
