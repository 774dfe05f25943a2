"""Where the API is put together: one line per feature under the prefix (`app.urls`, the
only place that spells `/v1`), and the guard on query parameters."""

from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request

from app.articles.editorial_router import router as article_writes
from app.articles.router import router as articles
from app.audit.router import router as audit
from app.authors.router import router as authors
from app.errors import ProblemError
from app.feed.router import router as feed
from app.formats.router import router as formats
from app.keys.router import router as keys
from app.photos.router import router as photos
from app.popular.router import router as popular
from app.redirects.router import router as redirects
from app.sections.router import router as sections
from app.site.router import router as site
from app.sync.router import router as sync
from app.tags.router import router as tags
from app.urls import PREFIX
from app.webhooks.router import router as webhooks

_known: dict[int, frozenset[str]] = {}


def _known_query_params(route: Any) -> frozenset[str]:
    key = id(route)
    if key not in _known:
        names: set[str] = set()
        stack = [route.dependant]
        while stack:
            dependant = stack.pop()
            names.update(p.alias for p in dependant.query_params)
            stack.extend(dependant.dependencies)
        _known[key] = frozenset(names)
    return _known[key]


def check_parameters(request: Request) -> None:
    """Unknown query parameters are a 400, not silently ignored (a typo should be loud);
    so is a NUL character anywhere in the path or query, which no database stores."""
    for name, value in (*request.path_params.items(), *request.query_params.multi_items()):
        if "\x00" in name or "\x00" in str(value):
            raise ProblemError(
                f"{name}: NUL characters are not allowed.",
                errors=[{"field": name, "message": "contains a NUL character"}],
            )
    route = request.scope.get("route")
    if route is None or not request.query_params:
        return
    known = _known_query_params(route)
    unknown = sorted(set(request.query_params.keys()) - known)
    if unknown:
        listed = ", ".join(sorted(known)) or "none"
        raise ProblemError(
            f"Unknown query parameter {unknown[0]!r}; this endpoint takes: {listed}.",
            errors=[{"field": name, "message": "unknown query parameter"} for name in unknown],
        )


# The prefix is given when the application includes `v1` (`include`), not on the router:
# FastAPI checks every route of a router included without a prefix for an empty path, which
# builds each route's state once more at start-up (a fifth of a worker's import time).
v1 = APIRouter(dependencies=[Depends(check_parameters)])
features = (
    articles,
    article_writes,
    authors,
    photos,
    sections,
    tags,
    feed,
    site,
    keys,
    webhooks,
    audit,
    formats,
    popular,
    redirects,
)
for feature in features:
    v1.include_router(feature)
v1.include_router(sync)


def include(app: FastAPI) -> None:
    """The v1 API, under its prefix."""
    app.include_router(v1, prefix=PREFIX)
