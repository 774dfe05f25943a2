from fastapi import APIRouter, Request, Response

from app.auth import Reader
from app.contract import sparse
from app.db import SessionDep
from app.editorial import EditorDep
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
from app.tags import service
from app.tags.schemas import FIELDS, TagCreate, TagOut, TagUpdate, tag_out
from app.urls import object_path

router = APIRouter(prefix="/tags", tags=["tags"])


@router.get(
    "", summary="List tags", response_model=Many[sparse(TagOut)], responses=PROBLEM_RESPONSES
)
def list_tags(
    request: Request, session: SessionDep, page: PageDep, fields: FieldsDep, _: Reader
) -> JSONResponse:
    """Tags, in alphabetical order of slug."""
    fields.check(FIELDS)
    result = service.list_tags(session, page=page)
    data = [fields.apply(tag_out(s)) for s in result.items]
    return list_response(request, result, data, page.limit, keys=["tags"])


@router.get(
    "/{ref}", summary="Read a tag", response_model=One[sparse(TagOut)], responses=PROBLEM_RESPONSES
)
def read_tag(
    ref: str, request: Request, session: SessionDep, fields: FieldsDep, _: Reader
) -> JSONResponse:
    """One tag, by id or slug."""
    fields.check(FIELDS)
    tag = service.get_tag(session, ref=ref)
    return item_response(request, fields.apply(tag_out(tag)), keys=[f"tag:{tag.slug}"])


@router.post(
    "",
    status_code=201,
    response_model=One[sparse(TagOut)],
    name="create_tag",
    summary="Create a tag",
    description=creates("a tag"),
    responses=WRITE_RESPONSES,
    tags=["editorial"],
)
def create_tag(
    body: TagCreate, request: Request, session: SessionDep, who: EditorDep
) -> JSONResponse:
    tag = service.create_tag(session, who, data=body)
    return written_response(
        request,
        tag_out(tag),
        keys=service.TAGS.keys(tag),
        status=201,
        location=object_path("tags", tag.id),
    )


@router.patch(
    "/{ref}",
    response_model=One[sparse(TagOut)],
    name="update_tag",
    summary="Update a tag",
    description=PATCHES,
    responses=WRITE_RESPONSES,
    tags=["editorial"],
)
def update_tag(
    ref: str, body: TagUpdate, request: Request, session: SessionDep, who: EditorDep
) -> JSONResponse:
    tag = service.update_tag(session, who, ref=ref, data=body)
    return written_response(request, tag_out(tag), keys=service.TAGS.keys(tag))


@router.delete(
    "/{ref}",
    status_code=204,
    name="delete_tag",
    summary="Delete a tag",
    description=DELETES,
    responses=WRITE_RESPONSES,
    tags=["editorial"],
)
def delete_tag(ref: str, session: SessionDep, who: EditorDep) -> Response:
    service.delete_tag(session, who, ref=ref)
    return Response(status_code=204)
