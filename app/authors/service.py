"""Author queries."""

from sqlalchemy import select
from sqlmodel import Session

from app import surrogate, writes
from app.authors.schemas import AuthorCreate, AuthorUpdate, author_out
from app.editorial import Editor
from app.lookup import get_by_ref
from app.models import Author, AuthorKind
from app.pagination import Ordering, Page, PageParams, SortKey, paginate
from app.writes import Resource

ORDERING = Ordering("name", (SortKey(Author.name, False), SortKey(Author.id, False)))


def list_authors(session: Session, *, kind: AuthorKind | None, page: PageParams) -> Page:
    """People and desks in alphabetical order of name."""
    stmt = select(Author)
    if kind:
        stmt = stmt.where(Author.kind == kind)
    return paginate(session, stmt, ORDERING, page)


def get_author(session: Session, *, ref: str) -> Author:
    """The author with this id or slug."""
    return get_by_ref(session, Author, ref, label="author")


def author_in_use(session: Session, author: Author) -> str | None:
    """Why an author cannot go: bylines name them."""
    from sqlalchemy import func

    from app.models import ArticleAuthor

    count = session.scalar(select(func.count()).where(ArticleAuthor.author_id == author.id))
    return f"{count} article bylines name them; change those first" if count else None


AUTHORS = Resource(
    model=Author,
    name="author",
    id_prefix="aut",
    update=AuthorUpdate,
    out=lambda _session, row: author_out(row),
    keys=lambda row: surrogate.object_change(
        ["authors", f"author:{row.id}"], shown_in_article_lists=True
    ),
    in_use=author_in_use,
)


def create_author(session: Session, who: Editor, *, data: AuthorCreate) -> Author:
    """A new author from a validated body, audited in the same transaction."""
    return writes.create(session, who, AUTHORS, data)


def update_author(session: Session, who: Editor, *, ref: str, data: AuthorUpdate) -> Author:
    """Apply a merge patch to the version `If-Match` names (428 without, 412 when stale)."""
    return writes.update(session, who, AUTHORS, ref, data)


def delete_author(session: Session, who: Editor, *, ref: str) -> None:
    """Delete the version `If-Match` names; 409 while bylines name them."""
    writes.remove(session, who, AUTHORS, ref)
