"""Photo queries."""

from sqlalchemy import select
from sqlmodel import Session

from app.errors import NotFound
from app.models import Photo
from app.visibility import Viewer, visible_photos


def get_photo(session: Session, *, photo_id: str, viewer: Viewer) -> Photo:
    """The photo with this id, if `viewer` may receive it (partners: syndication rights)."""
    photo = session.scalars(
        select(Photo).where(Photo.id == photo_id, visible_photos(viewer))
    ).first()
    if photo is None:
        raise NotFound(f"No photo {photo_id!r}.")
    return photo
