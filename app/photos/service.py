"""Photo queries."""

from sqlalchemy import select
from sqlmodel import Session

from app import surrogate, writes
from app.editorial import Editor, audit
from app.errors import NotFound
from app.events.outbox import emit_change
from app.ids import new_id
from app.models import Photo
from app.photos.schemas import PhotoCreate, PhotoMetadata, PhotoUpdate, photo_keys, photo_out
from app.visibility import Viewer, visible_photos
from app.writes import Resource


def get_photo(session: Session, *, photo_id: str, viewer: Viewer) -> Photo:
    """The photo with this id, if `viewer` may receive it (partners: syndication rights)."""
    photo = session.scalars(
        select(Photo).where(Photo.id == photo_id, visible_photos(viewer))
    ).first()
    if photo is None:
        raise NotFound(f"No photo {photo_id!r}.")
    return photo


def photo_in_use(session: Session, photo: Photo) -> str | None:
    """Why a photo cannot go: an article leads with it or shows it in its body."""
    from sqlalchemy import func, or_

    from app.models import Article

    # Body photos leave a placeholder naming them in the stored HTML.
    placed = f'%data-photo-id="{photo.id}"%'
    count = session.scalar(
        select(func.count()).where(
            or_(Article.lead_photo_id == photo.id, Article.body_html.like(placed))
        )
    )
    return f"{count} articles show it; take it out of them first" if count else None


def _announce(session: Session, photo: Photo, fields: list[str]) -> None:
    emit_change(
        session,
        "photo.created",
        resource="photo",
        representation=photo_out(photo),
        fields=fields,
        # A new photo is shown nowhere yet.
        keys=surrogate.object_change(photo_keys(photo), shown_in_article_lists=False),
    )


def create_linked(session: Session, who: Editor, *, data: PhotoCreate) -> Photo:
    """A photo whose file lives elsewhere, known by its URL."""
    values = data.model_dump()
    values["renditions"] = sorted(values["renditions"], key=lambda r: r["width"])
    photo = Photo(id=new_id("pho"), **values)
    session.add(photo)
    _announce(session, photo, sorted(data.model_fields_set))
    audit(
        session,
        who,
        action="photo.create",
        resource_type="photo",
        resource_id=photo.id,
        version=1,
        fields=sorted(data.model_fields_set),
    )
    session.commit()
    return photo


def stored_photo(content: bytes, **values: object) -> Photo:
    """A photo row for an image file, which is checked and kept in the media store with its
    renditions; the row holds the files' paths there (their URLs are made when read)."""
    from app.photos import media  # Pillow: imported by the first upload, not at start-up

    photo_id = new_id("pho")
    stored = media.store(photo_id, content)
    return Photo(
        id=photo_id,
        url=stored.original,
        width=stored.width,
        height=stored.height,
        mime_type=stored.mime_type,
        storage_key=photo_id,
        renditions=[{"width": w, "height": h, "url": path} for w, h, path in stored.renditions],
        **values,
    )


def create_uploaded(session: Session, who: Editor, *, data: PhotoMetadata, content: bytes) -> Photo:
    """A photo from an uploaded file: checked, stored with its renditions, then recorded."""
    photo = stored_photo(content, **data.model_dump())
    photo_id = photo.id
    session.add(photo)
    _announce(session, photo, ["file", *sorted(data.model_fields_set)])
    audit(
        session,
        who,
        action="photo.create",
        resource_type="photo",
        resource_id=photo.id,
        version=1,
        fields=["file", *sorted(data.model_fields_set)],
    )
    try:
        session.commit()
    except BaseException:
        from app.photos import media

        media.discard(photo_id)
        raise
    return photo


def discard_files(photo: Photo) -> None:
    if photo.storage_key:
        from app.photos import media

        media.discard(photo.storage_key)


PHOTOS = Resource(
    model=Photo,
    name="photo",
    id_prefix="pho",
    update=PhotoUpdate,
    out=lambda _session, row: photo_out(row),
    # Lists of stories show lead photos.
    keys=lambda row: surrogate.object_change(photo_keys(row), shown_in_article_lists=True),
    in_use=photo_in_use,
    slug_from=None,
    after_delete=discard_files,
)


def update_photo(session: Session, who: Editor, *, ref: str, data: PhotoUpdate) -> Photo:
    """Apply a merge patch to the version `If-Match` names (428 without, 412 when stale)."""
    return writes.update(session, who, PHOTOS, ref, data)


def delete_photo(session: Session, who: Editor, *, ref: str) -> None:
    """Delete the version `If-Match` names, then its files; 409 while an article shows it."""
    writes.remove(session, who, PHOTOS, ref)
