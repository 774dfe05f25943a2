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


def id_for_body(session: Session, model: Any, ref: str, *, field: str, label: str) -> str:
    """The id of the row a body's `field` names by id or slug; 422 when there is none."""
    found = session.scalar(select(model.id).where(by_ref(model, ref)))
    if found is None:
        raise ValidationFailed(field, f"no {label} {ref!r}")
    return str(found)


def ids_for_body(
    session: Session, model: Any, refs: list[str], *, field: str, label: str
) -> list[str]:
    """The ids of `refs` (ids or slugs) in order, in one query; 422 naming the first one
    missing or listed twice (`field[i]`)."""
    if not refs:
        return []
    rows = session.execute(select(model.id, model.slug).where(by_refs(model, refs))).all()
    found = {key: row.id for row in rows for key in (row.id, row.slug)}
    out: list[str] = []
    for i, ref in enumerate(refs):
        if ref not in found:
            raise ValidationFailed(f"{field}[{i}]", f"no {label} {ref!r}")
        if found[ref] in out:
            raise ValidationFailed(f"{field}[{i}]", f"{label} {ref!r} is listed twice")
        out.append(found[ref])
    return out


def check_ids_exist(
    session: Session, model: Any, named: list[tuple[str, str]], *, label: str
) -> None:
    """Each `(field, id)` must name a row of `model` (by id only), checked in one query;
    422 naming the first field whose id has none."""
    if not named:
        return
    known = set(session.scalars(select(model.id).where(model.id.in_({i for _, i in named}))))
    for field, row_id in named:
        if row_id not in known:
            raise ValidationFailed(field, f"no {label} {row_id!r}")
