from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from app import surrogate
from app.access import client_address
from app.articles.rendering import article_out
from app.articles.schemas import INCLUDE_PATTERN, INCLUDES
from app.articles.service import load_embeds
from app.auth import Reader
from app.config import get_settings
from app.contract import sparse
from app.db import SessionDep
from app.errors import ProblemError
from app.models import Article
from app.pagination import Ordering, Page, SortKey, list_response
from app.policy import RouteOptions
from app.popular import service
from app.popular.schemas import POPULAR_FIELDS, PopularArticle
from app.popular.views import counter
from app.ratelimit import RateLimiter
from app.representation import FieldsDep, parse_include
from app.responses import JSONResponse
from app.schemas import PROBLEM_RESPONSES, Many
from app.visibility import Viewer


@asynccontextmanager
async def _lifespan(_app: Any) -> AsyncIterator[None]:
    yield
    # Shutting down: write what this worker has counted.
    await run_in_threadpool(counter.flush)


router = APIRouter(tags=["popular"], lifespan=_lifespan)

# A ranking is not paged: `next_cursor` is always null.
_RANKING = Ordering("popular", (SortKey(Article.id),))


class TooManyViews(ProblemError):
    status = 429
    code = "rate-limited"
    title = "Too many requests"


def _limiter(app: FastAPI) -> RateLimiter:
    # One per application, beside the edge's: its own counters, in Redis when configured.
    limiter = getattr(app.state, "view_limiter", None)
    if limiter is None:
        limiter = app.state.view_limiter = RateLimiter(get_settings().redis_url)
    return limiter


def _count_view(session: SessionDep, ref: str, viewer: Viewer) -> None:
    counter.add(service.viewable_article_id(session, ref=ref, viewer=viewer))


@router.post(
    "/articles/{ref}/views",
    summary="Record a view",
    status_code=204,
    response_class=Response,
    responses={**PROBLEM_RESPONSES, 204: {"description": "Counted"}},
)
async def record_view(ref: str, request: Request, session: SessionDep, viewer: Reader) -> Response:
    """A view beacon: counts one read of a published article the caller may see.

    Limited per client address (`RATE_LIMIT_VIEWS` a minute), apart from and tighter than
    reads, before the article is even looked up.
    """
    limit = get_settings().rate_limit_views
    decision = await _limiter(request.app).hit(
        f"views:{client_address(request.scope)}", limit=limit, policy="views"
    )
    # The IETF fields of this policy, beside the read policy's that every answer carries.
    headers = {k.decode(): v.decode() for k, v in decision.headers()[:2]}
    if not decision.allowed:
        raise TooManyViews(
            f"The limit is {limit} views a minute; retry in {decision.reset} s.",
            headers={**headers, "Retry-After": str(max(1, decision.reset))},
        )
    await run_in_threadpool(_count_view, session, ref, viewer)
    return Response(status_code=204, headers=headers)


@router.get(
    "/popular",
    summary="List the most read articles",
    # View counts move without a content write: rendered afresh every 30 seconds.
    dependencies=[Depends(RouteOptions(max_age=30))],
    response_model=Many[sparse(PopularArticle, keep=("id", "views"))],
    responses=PROBLEM_RESPONSES,
)
def most_popular(
    request: Request,
    session: SessionDep,
    fields: FieldsDep,
    viewer: Reader,
    window: Annotated[
        Literal["1h", "24h", "7d"],
        Query(description="Counted over whole hours: the current one and those before it."),
    ] = "24h",
    limit: Annotated[int, Query(ge=1, le=50, description="Articles, 1 to 50.")] = 10,
    include: Annotated[
        str | None,
        Query(
            max_length=200,
            pattern=INCLUDE_PATTERN,
            description="Embed: `authors,tags,lead_photo,related,body`.",
        ),
    ] = None,
) -> JSONResponse:
    """The most read published articles in a window, from view beacons, most first; each
    with its `views`. Answers are kept for at most 30 seconds."""
    fields.check(POPULAR_FIELDS)
    embed = parse_include(include, INCLUDES) | (fields.names & set(INCLUDES))
    ranked = service.most_viewed(session, window=window, limit=limit, viewer=viewer)
    articles = [r.article for r in ranked]
    embeds = load_embeds(session, articles, include=embed, viewer=viewer)
    # Drawn from every story; short-lived besides, as views move without a write.
    data, keys = [], {"popular", surrogate.ARTICLES, surrogate.ARTICLE_LISTS}
    for r in ranked:
        out = article_out(r.article, embeds, include=embed, now=viewer.now)
        data.append({**fields.apply(out), "views": r.views})
    page = Page(items=articles, next_values=None, ordering=_RANKING)
    return list_response(request, page, data, limit, keys=keys)
