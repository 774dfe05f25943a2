"""Tag queries."""

from sqlalchemy import select
from sqlmodel import Session

from app import surrogate, writes
from app.editorial import Editor
from app.lookup import get_by_ref
from app.models import Tag
from app.pagination import Ordering, Page, PageParams, SortKey, paginate
from app.tags.schemas import TagCreate, TagUpdate, tag_out
from app.writes import Resource

ORDERING = Ordering("slug", (SortKey(Tag.slug, False), SortKey(Tag.id, False)))


def list_tags(session: Session, *, page: PageParams) -> Page:
    """Tags in alphabetical order of slug."""
    return paginate(session, select(Tag), ORDERING, page)


def get_tag(session: Session, *, ref: str) -> Tag:
    """The tag with this id or slug."""
    return get_by_ref(session, Tag, ref, label="tag")


TAGS = Resource(
    model=Tag,
    name="tag",
    id_prefix="tag",
    update=TagUpdate,
    out=lambda _session, row: tag_out(row),
    keys=lambda row: surrogate.object_change(
        ["tags", f"tag:{row.slug}"], shown_in_article_lists=True
    ),
)


def create_tag(session: Session, who: Editor, *, data: TagCreate) -> Tag:
    """A new tag from a validated body, audited in the same transaction."""
    return writes.create(session, who, TAGS, data)


def update_tag(session: Session, who: Editor, *, ref: str, data: TagUpdate) -> Tag:
    """Apply a merge patch to the version `If-Match` names (428 without, 412 when stale)."""
    return writes.update(session, who, TAGS, ref, data)


def delete_tag(session: Session, who: Editor, *, ref: str) -> None:
    """Delete the version `If-Match` names: the articles that carry it lose it
    (as in WordPress and Ghost)."""
    writes.remove(session, who, TAGS, ref)
