import json

import anyio.to_thread
from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlmodel import Session
from starlette.datastructures import UploadFile as StarletteUpload

from app.auth import Reader
from app.db import SessionDep, get_engine
from app.editorial import EditorDep
from app.errors import ValidationFailed, field_path
from app.models import Photo
from app.openapi import component, properties_of
from app.pagination import item_response, written_response
from app.photos import service
from app.photos.schemas import (
    FIELDS,
    PhotoAnswer,
    PhotoCreate,
    PhotoMetadata,
    PhotoUpdate,
    photo_keys,
    photo_out,
)
from app.policy import RouteOptions
from app.representation import FieldsDep
from app.responses import JSONResponse
from app.schemas import DELETES, PATCHES, PROBLEM_RESPONSES, WRITE_RESPONSES, One
from app.urls import object_path

router = APIRouter(prefix="/photos", tags=["photos"])


@router.get(
    "/{ref}", summary="Read a photo", response_model=One[PhotoAnswer], responses=PROBLEM_RESPONSES
)
def read_photo(
    ref: str, request: Request, session: SessionDep, fields: FieldsDep, viewer: Reader
) -> JSONResponse:
    """A photo with caption, credit, photographer, agency, alt text, size, renditions, rights."""
    fields.check(FIELDS)
    photo = service.get_photo(session, photo_id=ref, viewer=viewer)
    return item_response(request, fields.apply(photo_out(photo)), keys=photo_keys(photo))


_UPLOAD_FIELDS = set(PhotoMetadata.model_fields)


def _parsed(raw: bytes) -> object:
    """The JSON body as sent, for naming the fields of its errors (None when not JSON)."""
    try:
        return json.loads(raw)
    except ValueError:
        return None


async def _metadata_from_form(request: Request) -> tuple[PhotoMetadata, bytes]:
    form = await request.form(max_files=1, max_fields=len(_UPLOAD_FIELDS) + 1)
    try:
        upload = form.get("file")
        if not isinstance(upload, StarletteUpload):
            raise ValidationFailed("file", "send the image as the form's `file` part")
        unknown = sorted(set(form.keys()) - _UPLOAD_FIELDS - {"file"})
        if unknown:
            raise ValidationFailed(unknown[0], "unknown field")
        fields = {k: v for k, v in form.items() if k != "file" and isinstance(v, str)}
        try:
            metadata = PhotoMetadata.model_validate(fields)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = field_path(first["loc"], fields, kind=first["type"])
            raise ValidationFailed(where, first["msg"]) from None
        return metadata, await upload.read()
    finally:
        await form.close()


@router.post(
    "",
    summary="Upload or link a photo",
    # Takes the image itself as multipart, up to MAX_UPLOAD_MB.
    dependencies=[Depends(RouteOptions(upload=True))],
    status_code=201,
    response_model=One[PhotoAnswer],
    responses=WRITE_RESPONSES,
    tags=["editorial"],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            **properties_of(PhotoMetadata),
                        },
                    }
                },
                "application/json": {"schema": component(PhotoCreate)},
            },
        }
    },
)
async def create_photo(request: Request, who: EditorDep) -> JSONResponse:
    """Upload an image (multipart: `file` plus metadata fields) or record one kept elsewhere
    (JSON with its `url`). An upload is read by Pillow: format, width and height come from the
    file, renditions are made in several widths; non-images and oversize images get 422."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        metadata, content = await _metadata_from_form(request)

        def work(session: Session) -> Photo:
            return service.create_uploaded(session, who, data=metadata, content=content)
    else:
        raw = await request.body()
        try:
            data = PhotoCreate.model_validate_json(raw)
        except ValidationError as exc:
            raise RequestValidationError(
                [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()], body=_parsed(raw)
            ) from None

        def work(session: Session) -> Photo:
            return service.create_linked(session, who, data=data)

    def run() -> dict:
        with Session(get_engine(), expire_on_commit=False) as session:
            return photo_out(work(session))

    out = await anyio.to_thread.run_sync(run)
    return written_response(
        request,
        out,
        keys=[f"photo:{out['id']}"],
        status=201,
        location=object_path("photos", out["id"]),
    )


@router.patch(
    "/{ref}",
    response_model=One[PhotoAnswer],
    name="update_photo",
    summary="Update a photo",
    description=PATCHES,
    responses=WRITE_RESPONSES,
    tags=["editorial"],
)
def update_photo(
    ref: str, body: PhotoUpdate, request: Request, session: SessionDep, who: EditorDep
) -> JSONResponse:
    photo = service.update_photo(session, who, ref=ref, data=body)
    return written_response(request, photo_out(photo), keys=service.PHOTOS.keys(photo))


@router.delete(
    "/{ref}",
    status_code=204,
    name="delete_photo",
    summary="Delete a photo",
    description=DELETES,
    responses=WRITE_RESPONSES,
    tags=["editorial"],
)
def delete_photo(ref: str, session: SessionDep, who: EditorDep) -> Response:
    service.delete_photo(session, who, ref=ref)
    return Response(status_code=204)
