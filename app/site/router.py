from fastapi import APIRouter, Request

from app.auth import Reader
from app.db import SessionDep
from app.pagination import item_response
from app.representation import FieldsDep
from app.responses import JSONResponse
from app.schemas import PROBLEM_RESPONSES, One
from app.site import service
from app.site.schemas import FIELDS, SiteOut, site_out

router = APIRouter(tags=["site"])


@router.get("/site", response_model=One[SiteOut], responses=PROBLEM_RESPONSES)
def read_site(request: Request, session: SessionDep, fields: FieldsDep, _: Reader) -> JSONResponse:
    """The publication: name, URL, time zone, language and the membership banner."""
    fields.check(FIELDS)
    return item_response(request, fields.apply(site_out(service.get_site(session))), keys=["site"])
