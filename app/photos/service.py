"""Photo queries."""

from sqlmodel import Session

from app.errors import NotFound
from app.models import Photo


def get_photo(session: Session, *, photo_id: str) -> Photo:
    """The photo with this id."""
    photo = session.get(Photo, photo_id)
    if photo is None:
        raise NotFound(f"No photo {photo_id!r}.")
    return photo
