"""Section queries."""

from sqlalchemy import select
from sqlmodel import Session

from app import surrogate, writes
from app.editorial import Editor
from app.lookup import get_by_ref
from app.models import Section
from app.pagination import Ordering, Page, PageParams, SortKey, paginate
from app.sections.schemas import SectionCreate, SectionUpdate, section_out
from app.writes import Resource

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


SECTIONS = Resource(
    model=Section,
    name="section",
    id_prefix="sec",
    update=SectionUpdate,
    out=lambda _session, row: section_out(row),
    keys=lambda row: surrogate.object_change(
        ["sections", f"section:{row.slug}"], shown_in_article_lists=True
    ),
    in_use=section_in_use,
)


def create_section(session: Session, who: Editor, *, data: SectionCreate) -> Section:
    """A new section from a validated body, audited in the same transaction."""
    return writes.create(session, who, SECTIONS, data)


def update_section(session: Session, who: Editor, *, ref: str, data: SectionUpdate) -> Section:
    """Apply a merge patch to the version `If-Match` names (428 without, 412 when stale)."""
    return writes.update(session, who, SECTIONS, ref, data)


def delete_section(session: Session, who: Editor, *, ref: str) -> None:
    """Delete the version `If-Match` names; 409 while articles are filed in it."""
    writes.remove(session, who, SECTIONS, ref)
