from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Query, Request

from app import surrogate
from app.articles.router import ArticleQueryDep, article_list_response
from app.articles.schemas import ArticleSummaryAnswer
from app.auth import Reader
from app.authors import service
from app.authors.schemas import FIELDS, AuthorCreate, AuthorOut, AuthorUpdate, author_out
from app.contract import sparse
from app.crud import Resource, add_routes
from app.db import SessionDep
from app.models import Author, AuthorKind
from app.pagination import PageDep, item_response, list_response
from app.representation import FieldsDep
from app.responses import JSONResponse
from app.schemas import PROBLEM_RESPONSES, Many, One

router = APIRouter(prefix="/authors", tags=["authors"])


@router.get(
    "", summary="List authors", response_model=Many[sparse(AuthorOut)], responses=PROBLEM_RESPONSES
)
def list_authors(
    request: Request,
    session: SessionDep,
    page: PageDep,
    fields: FieldsDep,
    _: Reader,
    kind: Annotated[AuthorKind | None, Query(description="`person` or `desk`.")] = None,
) -> JSONResponse:
    """People and collective desks, by name."""
    fields.check(FIELDS)
    result = service.list_authors(session, kind=kind, page=page)
    data = [fields.apply(author_out(a)) for a in result.items]
    return list_response(request, result, data, page.limit, keys=["authors"])


@router.get(
    "/{ref}",
    summary="Read an author",
    response_model=One[sparse(AuthorOut)],
    responses=PROBLEM_RESPONSES,
)
def read_author(
    ref: str, request: Request, session: SessionDep, fields: FieldsDep, _: Reader
) -> JSONResponse:
    """One author, by id or slug."""
    fields.check(FIELDS)
    author = service.get_author(session, ref=ref)
    return item_response(request, fields.apply(author_out(author)), keys=[f"author:{author.id}"])


@router.get(
    "/{ref}/articles",
    summary="List an author's articles",
    response_model=Many[ArticleSummaryAnswer],
    responses=PROBLEM_RESPONSES,
)
def list_author_articles(
    ref: str,
    request: Request,
    session: SessionDep,
    query: ArticleQueryDep,
    page: PageDep,
    fields: FieldsDep,
    viewer: Reader,
) -> JSONResponse:
    """The author's published articles; takes every filter of `GET /v1/articles`."""
    author = service.get_author(session, ref=ref)
    query = replace(query, filters=replace(query.filters, author=author.id))
    return article_list_response(request, session, query, page, fields, viewer)


# Module-level, so that other writers (`byline clean-text`) save through it too.
RESOURCE = Resource(
    model=Author,
    name="author",
    path="/authors",
    id_prefix="aut",
    create=AuthorCreate,
    update=AuthorUpdate,
    out=lambda _session, row: author_out(row),
    out_schema=sparse(AuthorOut),
    keys=lambda row: surrogate.object_change(
        ["authors", f"author:{row.id}"], shown_in_article_lists=True
    ),
    in_use=service.author_in_use,
)
add_routes(router, RESOURCE)
