"""What a ref means: the one place that turns an id or a slug into a row or an id.

A ref in the path names the object the request is about: one that does not exist is a 404
(`get_by_ref`, `get_by_id`). A ref inside a body points at another object: one that does
not exist makes the body invalid, a 422 naming the field (`id_for_body`, `ids_for_body`,
`row_for_body`, `check_ids_exist`), and lists are resolved in one query.
"""

from collections.abc import Iterable
from typing import Any, TypeVar

from sqlalchemy import or_, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from app.errors import NotFound, ValidationFailed

M = TypeVar("M")


def by_ref(model: Any, ref: str) -> ColumnElement[bool]:
    """SQL condition: the row whose id or slug is `ref`."""
    return or_(model.id == ref, model.slug == ref)


def by_refs(model: Any, refs: Iterable[str]) -> ColumnElement[bool]:
    """SQL condition: the rows whose id or slug is one of `refs`."""
    refs = list(refs)
    return or_(model.id.in_(refs), model.slug.in_(refs))


# --- refs in the path: 404 -------------------------------------------------------------


def get_by_ref(session: Session, model: type[M], ref: str, *, where: Any = None, label: str) -> M:
    """The row of `model` with this id or slug (and `where`), or NotFound naming the `label`."""
    stmt = select(model).where(by_ref(model, ref))
    if where is not None:
        stmt = stmt.where(where)
    row = session.scalars(stmt).first()
    if row is None:
        raise NotFound(f"No {label} {ref!r}.")
    return row


def get_by_id(session: Session, model: type[M], row_id: str, *, label: str) -> M:
    """The row of `model` with this id (for kinds without slugs), or NotFound."""
    row = session.scalars(select(model).where(model.id == row_id)).first()  # type: ignore[attr-defined]
    if row is None:
        raise NotFound(f"No {label} {row_id!r}.")
    return row


# --- refs inside a body: 422 -----------------------------------------------------------


def row_for_body(session: Session, model: type[M], ref: str, *, field: str, label: str) -> M:
    """The row a body's `field` names by id or slug; 422 when there is none."""
    row = session.scalars(select(model).where(by_ref(model, ref))).first()
    if row is None:
        raise ValidationFailed(field, f"no {label} {ref!r}")
    return row


class Prefetched:
    """The rows of `model` that a batch of bodies names, read in one query (`slugs`: by id or
    slug; otherwise by id only); each body's refs then resolve without another, with the
    same 422s as one body's (the functions below are built on it)."""

    def __init__(self, session: Session, model: Any, refs: Iterable[str], *, slugs: bool = True):
        refs = set(refs)
        self.found: dict[str, str] = {}  # id or slug -> id
        self.slug_of: dict[str, str] = {}  # id -> slug
        if not refs:
            return
        if slugs:
            for row in session.execute(select(model.id, model.slug).where(by_refs(model, refs))):
                self.found[row.id] = self.found[row.slug] = row.id
                self.slug_of[row.id] = row.slug
        else:
            for row_id in session.scalars(select(model.id).where(model.id.in_(refs))):
                self.found[row_id] = row_id

    def id(self, ref: str, *, field: str, label: str) -> str:
        """The id `ref` names; 422 naming `field` when there is none."""
        if ref not in self.found:
            raise ValidationFailed(field, f"no {label} {ref!r}")
        return self.found[ref]

    def ids(self, refs: list[str], *, field: str, label: str) -> list[str]:
        """The ids of `refs` in order; 422 naming the first one missing or listed twice."""
        out: list[str] = []
        for i, ref in enumerate(refs):
            found = self.id(ref, field=f"{field}[{i}]", label=label)
            if found in out:
                raise ValidationFailed(f"{field}[{i}]", f"{label} {ref!r} is listed twice")
            out.append(found)
        return out

    def check(self, named: list[tuple[str, str]], *, label: str) -> None:
        """Each `(field, ref)` must name a row; 422 naming the first field that does not."""
        for field, ref in named:
            self.id(ref, field=field, label=label)


def id_for_body(session: Session, model: Any, ref: str, *, field: str, label: str) -> str:
    """The id of the row a body's `field` names by id or slug; 422 when there is none."""
    return Prefetched(session, model, [ref]).id(ref, field=field, label=label)


def ids_for_body(
    session: Session, model: Any, refs: list[str], *, field: str, label: str
) -> list[str]:
    """The ids of `refs` (ids or slugs) in order, in one query; 422 naming the first one
    missing or listed twice (`field[i]`)."""
    return Prefetched(session, model, refs).ids(refs, field=field, label=label)


def check_ids_exist(
    session: Session, model: Any, named: list[tuple[str, str]], *, label: str
) -> None:
    """Each `(field, id)` must name a row of `model` (by id only), checked in one query;
    422 naming the first field whose id has none."""
    Prefetched(session, model, [i for _, i in named], slugs=False).check(named, label=label)
