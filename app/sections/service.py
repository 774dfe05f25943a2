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


def section_in_use(session: Session, section: Section) -> str | None:
    """Why a section cannot go: articles are filed in it."""
    from sqlalchemy import func

    from app.models import Article

    count = session.scalar(select(func.count()).where(Article.section_id == section.id))
    return f"{count} articles are filed in it; move them first" if count else None
