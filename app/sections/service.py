"""Section queries."""

from sqlalchemy import select
from sqlmodel import Session

from app.lookup import get_by_ref
from app.models import Section
from app.pagination import Ordering, Page, PageParams, SortKey, paginate

ORDERING = Ordering("position", (SortKey(Section.position, False), SortKey(Section.id, False)))


def list_sections(session: Session, *, page: PageParams) -> Page:
    """Sections in their navigation order."""
    return paginate(session, select(Section), ORDERING, page)


def get_section(session: Session, *, ref: str) -> Section:
    """The section with this id or slug."""
    return get_by_ref(session, Section, ref, label="section")
