from fastapi import APIRouter, Request

from app.auth import Reader
from app.db import SessionDep
from app.editorial import EditorDep
from app.pagination import item_response
from app.representation import FieldsDep
from app.responses import JSONResponse
from app.schemas import PROBLEM_RESPONSES, WRITE_RESPONSES, One
from app.site import service
from app.site.schemas import FIELDS, SiteAnswer, SiteUpdate, site_out

router = APIRouter(tags=["site"])


@router.get(
    "/site",
    summary="Read the site settings",
    response_model=One[SiteAnswer],
    responses=PROBLEM_RESPONSES,
)
def read_site(request: Request, session: SessionDep, fields: FieldsDep, _: Reader) -> JSONResponse:
    """The publication: name, URL, time zone, language, logo and the membership banner."""
    fields.check(FIELDS)
    return item_response(request, fields.apply(site_out(service.get_site(session))), keys=["site"])


@router.patch(
    "/site",
    summary="Update the site settings",
    response_model=One[SiteAnswer],
    responses=WRITE_RESPONSES,
    tags=["editorial"],
)
def update_site(
    body: SiteUpdate, request: Request, session: SessionDep, who: EditorDep
) -> JSONResponse:
    """Change the publication's settings, logo and membership banner. Needs `If-Match` once the
    site exists; the first call sets it up."""
    site = service.update_site(session, who, data=body)
    return item_response(
        request, site_out(site), keys=["site"], headers={"Cache-Control": "private, no-store"}
    )
