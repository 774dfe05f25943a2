"""Tag queries."""

from sqlalchemy import select
from sqlmodel import Session

from app.lookup import get_by_ref
from app.models import Tag
from app.pagination import Ordering, Page, PageParams, SortKey, paginate

ORDERING = Ordering("slug", (SortKey(Tag.slug, False), SortKey(Tag.id, False)))


def list_tags(session: Session, *, page: PageParams) -> Page:
    """Tags in alphabetical order of slug."""
    return paginate(session, select(Tag), ORDERING, page)


def get_tag(session: Session, *, ref: str) -> Tag:
    """The tag with this id or slug."""
    return get_by_ref(session, Tag, ref, label="tag")
