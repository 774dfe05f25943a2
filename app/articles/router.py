from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from app import surrogate
from app.articles import service
from app.articles.listing import ArticleQueryDep, article_list_response
from app.articles.rendering import article_out
from app.articles.schemas import (
    FIELDS,
    INCLUDES,
    ArticleDetailAnswer,
    ArticleSummaryAnswer,
    PreviewLink,
    PreviewLinkCreate,
)
from app.auth import READ_OR_PREVIEW_LINK, Forbidden, Previewer, Reader
from app.contract import conform
from app.db import SessionDep
from app.formats.article import (
    ACCEPT_PARAMETER,
    FORMAT_DESCRIPTION,
    FORMAT_RESPONSES,
    ArticleFormat,
    article_document,
    negotiate,
)
from app.pagination import PageDep, absolute_url, item_response
from app.preview import make_token, read_token
from app.representation import FieldsDep
from app.responses import JSONResponse
from app.schemas import PROBLEM_RESPONSES, Many, One
from app.urls import object_path
from app.visibility import Viewer

router = APIRouter(prefix="/articles", tags=["articles"])


@router.get(
    "",
    summary="List articles",
    response_model=Many[ArticleSummaryAnswer],
    responses=PROBLEM_RESPONSES,
)
def list_articles(
    request: Request,
    session: SessionDep,
    query: ArticleQueryDep,
    page: PageDep,
    fields: FieldsDep,
    viewer: Reader,
    author: Annotated[str | None, Query(max_length=100, description="Author id or slug.")] = None,
) -> JSONResponse:
    """Articles the caller may read, newest first unless `order` says otherwise."""
    if author:
        query = replace(query, filters=replace(query.filters, author=author))
    return article_list_response(request, session, query, page, fields, viewer)


@router.get(
    "/{ref}",
    summary="Read an article",
    response_model=One[ArticleDetailAnswer],
    responses={**PROBLEM_RESPONSES, **FORMAT_RESPONSES},
    openapi_extra={"parameters": [ACCEPT_PARAMETER]},
)
def read_article(
    ref: str,
    request: Request,
    session: SessionDep,
    fields: FieldsDep,
    preview: Annotated[
        str | None,
        Query(max_length=1000, description="A preview link's token: shows this draft."),
    ] = None,
    format: Annotated[ArticleFormat | None, Query(description=FORMAT_DESCRIPTION)] = None,
    reader: Viewer | None = Depends(READ_OR_PREVIEW_LINK),
) -> Response:
    """The whole article, by id or slug; as ninjs or JSON-LD with `format=`."""
    fields.check(FIELDS)
    chosen = negotiate(format, request, fields)
    headers = None
    if reader is None or preview is not None:
        token_article = read_token(preview or "")
        viewer = Viewer(preview=True)
        headers = {"Cache-Control": "private, no-store"}
    else:
        viewer = reader
    article = service.get_article(session, ref=ref, viewer=viewer)
    if preview is not None and article.id != token_article:
        raise Forbidden("The preview link is for another article.")
    embeds = service.load_embeds(session, [article], include=INCLUDES, viewer=viewer, detail=True)
    out = article_out(article, embeds, include=INCLUDES, now=viewer.now, detail=True)
    if chosen != "json":
        # A document is made from the article's JSON: that JSON holds to the contract too.
        out = conform(request, out)
        return article_document(
            request, session, chosen, article=article, out=out, viewer=viewer, headers=headers
        )
    return item_response(
        request, fields.apply(out), keys=surrogate.article_keys(out), headers=headers
    )


@router.post(
    "/{ref}/preview",
    summary="Create a preview link",
    status_code=201,
    response_model=One[PreviewLink],
    responses=PROBLEM_RESPONSES,
)
def create_preview_link(
    ref: str,
    request: Request,
    session: SessionDep,
    _: Previewer,
    body: PreviewLinkCreate | None = None,
) -> JSONResponse:
    """A signed link that shows this article, draft or not, to anyone holding it."""
    article = service.get_article(session, ref=ref, viewer=Viewer(preview=True))
    seconds = (body or PreviewLinkCreate()).expires_in
    token, expires_at = make_token(article.id, seconds=seconds)
    url = absolute_url(request, f"{object_path('articles', article.id)}?preview={token}")
    return JSONResponse(
        {"data": conform(request, {"token": token, "url": url, "expires_at": expires_at})},
        status_code=201,
        headers={"Cache-Control": "no-store", "Location": url},
    )
