from fastapi import APIRouter

from app.db import SessionDep
from app.photos import service
from app.photos.schemas import FIELDS, PhotoOut, photo_out
from app.representation import FieldsDep
from app.responses import JSONResponse
from app.schemas import PROBLEM_RESPONSES, One

router = APIRouter(prefix="/photos", tags=["photos"])


@router.get("/{photo_id}", response_model=One[PhotoOut], responses=PROBLEM_RESPONSES)
def read_photo(photo_id: str, session: SessionDep, fields: FieldsDep) -> JSONResponse:
    """A photo with caption, credit, photographer, agency, alt text, size, renditions, rights."""
    fields.check(FIELDS)
    return JSONResponse(
        {"data": fields.apply(photo_out(service.get_photo(session, photo_id=photo_id)))}
    )
