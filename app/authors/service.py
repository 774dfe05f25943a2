"""Author queries."""

from sqlalchemy import select
from sqlmodel import Session

from app.lookup import get_by_ref
from app.models import Author, AuthorKind
from app.pagination import Ordering, Page, PageParams, SortKey, paginate

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
