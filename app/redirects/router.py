"""`GET /v1/redirects`: where the old addresses of imported stories lead."""

from typing import Annotated

from fastapi import APIRouter, Query, Request

from app.auth import Reader
from app.db import SessionDep
from app.pagination import PageDep, list_response
from app.redirects import service
from app.redirects.schemas import RedirectOut
from app.responses import JSONResponse
from app.schemas import PROBLEM_RESPONSES, Many

router = APIRouter(prefix="/redirects", tags=["redirects"])


@router.get(
    "",
    summary="List redirects from old addresses",
    response_model=Many[RedirectOut],
    responses=PROBLEM_RESPONSES,
)
def list_redirects(
    request: Request,
    session: SessionDep,
    page: PageDep,
    viewer: Reader,
    path: Annotated[
        str | None,
        Query(max_length=1000, description="Only the redirect of this old path, if any."),
    ] = None,
) -> JSONResponse:
    """The old path of each imported story (`byline import`) and where it leads now, for a
    frontend or CDN to answer old links with a 301."""
    result = service.list_redirects(session, viewer=viewer, page=page, path=path)
    data = [
        RedirectOut(
            path=source.old_path,
            article_id=source.object_id,
            slug=slug,
            location=canonical or f"/{slug}/",
            source=source.system,
        ).model_dump()
        for source, slug, canonical in result.items
    ]
    return list_response(request, result, data, page.limit, keys=["articles", "redirects"])
