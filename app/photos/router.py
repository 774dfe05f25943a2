from fastapi import APIRouter, Request

from app.auth import Reader
from app.db import SessionDep
from app.pagination import item_response
from app.photos import service
from app.photos.schemas import FIELDS, PhotoOut, photo_out
from app.representation import FieldsDep
from app.responses import JSONResponse
from app.schemas import PROBLEM_RESPONSES, One

router = APIRouter(prefix="/photos", tags=["photos"])


@router.get("/{photo_id}", response_model=One[PhotoOut], responses=PROBLEM_RESPONSES)
def read_photo(
    photo_id: str, request: Request, session: SessionDep, fields: FieldsDep, viewer: Reader
) -> JSONResponse:
    """A photo with caption, credit, photographer, agency, alt text, size, renditions, rights."""
    fields.check(FIELDS)
    photo = service.get_photo(session, photo_id=photo_id, viewer=viewer)
    return item_response(request, fields.apply(photo_out(photo)), keys=[f"photo:{photo.id}"])
