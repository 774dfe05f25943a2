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
from app.sections import service
from app.sections.schemas import FIELDS, SectionCreate, SectionOut, SectionUpdate, section_out
from app.urls import object_path

router = APIRouter(prefix="/sections", tags=["sections"])


@router.get(
    "",
    summary="List sections",
    response_model=Many[sparse(SectionOut)],
    responses=PROBLEM_RESPONSES,
)
def list_sections(
    request: Request, session: SessionDep, page: PageDep, fields: FieldsDep, _: Reader
) -> JSONResponse:
    """Sections, in navigation order."""
    fields.check(FIELDS)
    result = service.list_sections(session, page=page)
    data = [fields.apply(section_out(s)) for s in result.items]
    return list_response(request, result, data, page.limit, keys=["sections"])


@router.get(
    "/{ref}",
    summary="Read a section",
    response_model=One[sparse(SectionOut)],
    responses=PROBLEM_RESPONSES,
)
def read_section(
    ref: str, request: Request, session: SessionDep, fields: FieldsDep, _: Reader
) -> JSONResponse:
    """One section, by id or slug."""
    fields.check(FIELDS)
    section = service.get_section(session, ref=ref)
    return item_response(
        request, fields.apply(section_out(section)), keys=[f"section:{section.slug}"]
    )


@router.post(
    "",
    status_code=201,
    response_model=One[sparse(SectionOut)],
    name="create_section",
    summary="Create a section",
    description=creates("a section"),
    responses=WRITE_RESPONSES,
    tags=["editorial"],
)
def create_section(
    body: SectionCreate, request: Request, session: SessionDep, who: EditorDep
) -> JSONResponse:
    section = service.create_section(session, who, data=body)
    return written_response(
        request,
        section_out(section),
        keys=service.SECTIONS.keys(section),
        status=201,
        location=object_path("sections", section.id),
    )


@router.patch(
    "/{ref}",
    response_model=One[sparse(SectionOut)],
    name="update_section",
    summary="Update a section",
    description=PATCHES,
    responses=WRITE_RESPONSES,
    tags=["editorial"],
)
def update_section(
    ref: str, body: SectionUpdate, request: Request, session: SessionDep, who: EditorDep
) -> JSONResponse:
    section = service.update_section(session, who, ref=ref, data=body)
    return written_response(request, section_out(section), keys=service.SECTIONS.keys(section))


@router.delete(
    "/{ref}",
    status_code=204,
    name="delete_section",
    summary="Delete a section",
    description=DELETES,
    responses=WRITE_RESPONSES,
    tags=["editorial"],
)
def delete_section(ref: str, session: SessionDep, who: EditorDep) -> Response:
    service.delete_section(session, who, ref=ref)
    return Response(status_code=204)
