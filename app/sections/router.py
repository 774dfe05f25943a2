from fastapi import APIRouter, Request

from app import surrogate
from app.auth import Reader
from app.contract import sparse
from app.crud import Resource, add_routes
from app.db import SessionDep
from app.models import Section
from app.pagination import PageDep, item_response, list_response
from app.representation import FieldsDep
from app.responses import JSONResponse
from app.schemas import PROBLEM_RESPONSES, Many, One
from app.sections import service
from app.sections.schemas import FIELDS, SectionCreate, SectionOut, SectionUpdate, section_out

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


# Module-level, so that other writers (`byline clean-text`) save through it too.
RESOURCE = Resource(
    model=Section,
    name="section",
    path="/sections",
    id_prefix="sec",
    create=SectionCreate,
    update=SectionUpdate,
    out=lambda _session, row: section_out(row),
    out_schema=sparse(SectionOut),
    keys=lambda row: surrogate.object_change(
        ["sections", f"section:{row.slug}"], shown_in_article_lists=True
    ),
    in_use=service.section_in_use,
)
add_routes(router, RESOURCE)
