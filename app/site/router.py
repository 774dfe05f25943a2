from fastapi import APIRouter

from app.db import SessionDep
from app.representation import FieldsDep
from app.responses import JSONResponse
from app.schemas import PROBLEM_RESPONSES, One
from app.site import service
from app.site.schemas import FIELDS, SiteOut, site_out

router = APIRouter(tags=["site"])


@router.get("/site", response_model=One[SiteOut], responses=PROBLEM_RESPONSES)
def read_site(session: SessionDep, fields: FieldsDep) -> JSONResponse:
    """The publication: name, URL, time zone, language and the membership banner."""
    fields.check(FIELDS)
    return JSONResponse({"data": fields.apply(site_out(service.get_site(session)))})
