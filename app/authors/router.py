from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.articles.listing import ArticleQueryDep, article_list_response
from app.articles.schemas import ArticleSummaryAnswer
from app.auth import Reader
from app.authors import service
from app.authors.schemas import FIELDS, AuthorCreate, AuthorOut, AuthorUpdate, author_out
from app.contract import sparse
from app.db import SessionDep
from app.editorial import EditorDep
from app.models import AuthorKind
from app.pagination import PageDep, item_response, list_response, written_response
from app.representation import FieldsDep
from app.responses import JSONResponse
from app.schemas import (
    DELETES,
    PATCHES,
    PROBLEM_RESPONSES,
    WRITE_RESPONSES,
    Many,
    One,
    creates,
)
from app.urls import object_path

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


@router.post(
    "",
    status_code=201,
    response_model=One[sparse(AuthorOut)],
    name="create_author",
    summary="Create an author",
    description=creates("an author"),
    responses=WRITE_RESPONSES,
    tags=["editorial"],
)
def create_author(
    body: AuthorCreate, request: Request, session: SessionDep, who: EditorDep
) -> JSONResponse:
    author = service.create_author(session, who, data=body)
    return written_response(
        request,
        author_out(author),
        keys=service.AUTHORS.keys(author),
        status=201,
        location=object_path("authors", author.id),
    )


@router.patch(
    "/{ref}",
    response_model=One[sparse(AuthorOut)],
    name="update_author",
    summary="Update an author",
    description=PATCHES,
    responses=WRITE_RESPONSES,
    tags=["editorial"],
)
def update_author(
    ref: str, body: AuthorUpdate, request: Request, session: SessionDep, who: EditorDep
) -> JSONResponse:
    author = service.update_author(session, who, ref=ref, data=body)
    return written_response(request, author_out(author), keys=service.AUTHORS.keys(author))


@router.delete(
    "/{ref}",
    status_code=204,
    name="delete_author",
    summary="Delete an author",
    description=DELETES,
    responses=WRITE_RESPONSES,
    tags=["editorial"],
)
def delete_author(ref: str, session: SessionDep, who: EditorDep) -> Response:
    service.delete_author(session, who, ref=ref)
    return Response(status_code=204)
