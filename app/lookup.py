"""Finding one row by `{ref}`: its id or its slug."""

from typing import Any, TypeVar

from sqlalchemy import or_, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from app.errors import NotFound

M = TypeVar("M")


def by_ref(model: Any, ref: str) -> ColumnElement[bool]:
    """SQL condition: the row whose id or slug is `ref`."""
    return or_(model.id == ref, model.slug == ref)


def get_by_ref(session: Session, model: type[M], ref: str, *, where: Any = None, label: str) -> M:
    """The row of `model` with this id or slug (and `where`), or NotFound naming the `label`."""
    stmt = select(model).where(by_ref(model, ref))
    if where is not None:
        stmt = stmt.where(where)
    row = session.scalars(stmt).first()
    if row is None:
        raise NotFound(f"No {label} {ref!r}.")
    return row
