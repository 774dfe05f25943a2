"""The write kit every editorial write is made of: find the row to change, check its slug,
delete the version `If-Match` names, commit or answer 409; and, built from those, create,
merge-patch and delete of the simple resources (sections, tags, authors, feed entries,
photos), each described once by a `Resource` in its feature's service.

Each write runs in one transaction with its audit record; PATCH and DELETE take `If-Match`
and lose, in the database, to any save that came first (see `editorial.save_version`).
Routes live in each feature's router; nothing here knows HTTP.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.editorial import Editor, audit, raise_stale, save_version
from app.errors import Conflict
from app.events.outbox import emit_change
from app.generation import note_removal
from app.ids import new_id
from app.inputs import Input, slugify
from app.lookup import get_by_id, get_by_ref
from app.tombstones import record_deletion

# --- the kit ---------------------------------------------------------------------------


def find_for_write(
    session: Session, model: Any, ref: str, *, label: str, slugs: bool = True
) -> Any:
    """The row a write changes, by id or (when the model has slugs) slug; 404 without."""
    if slugs:
        return get_by_ref(session, model, ref, label=label)
    return get_by_id(session, model, ref, label=label)


def slug_taken(label: str, slug: str | None = None) -> Conflict:
    """The 409 of a slug another row of the same kind holds."""
    named = f"The slug {slug!r}" if slug else "The slug"
    return Conflict(
        f"{named} is taken by another {label}.",
        errors=[{"field": "slug", "message": f"already used by another {label}"}],
    )


def slug_free(session: Session, model: Any, slug: str, *, other_than: str | None = None) -> bool:
    """Whether no row of `model` (other than `other_than`) holds `slug`."""
    stmt = select(model.id).where(model.slug == slug)
    if other_than:
        stmt = stmt.where(model.id != other_than)
    return session.scalar(stmt) is None


def check_slug(
    session: Session, model: Any, slug: str, *, label: str, other_than: str | None = None
) -> None:
    """409 when another row of `model` holds `slug` (the unique index settles races)."""
    if not slug_free(session, model, slug, other_than=other_than):
        raise slug_taken(label, slug)


def commit_or_conflict(
    session: Session, *, label: str, slug: str | None = None, detail: str | None = None
) -> None:
    """Commit; a unique index that refuses it (a concurrent write took the slug between our
    check and our commit) rolls back and answers 409 (`detail` says why, when not a slug)."""
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        if slug or "slug" in str(exc.orig).lower():
            raise slug_taken(label, slug) from None
        raise Conflict(detail or f"The {label} conflicts with a change made meanwhile.") from None


def delete_version(session: Session, model: Any, row_id: str, *, expected: int | None) -> None:
    """Delete the row while it is still at version `expected` (any version for None);
    otherwise roll back and answer 404 (gone) or 412 (stale)."""
    stmt = delete(model).where(model.id == row_id)
    if expected is not None:
        stmt = stmt.where(model.version == expected)
    result = session.execute(stmt, execution_options={"synchronize_session": False})
    if cast(CursorResult[Any], result).rowcount == 0:
        raise_stale(session, model, row_id, expected)


# --- the simple resources --------------------------------------------------------------


def _no_use(_session: Session, _row: Any) -> str | None:
    return None


def _as_is(_session: Session, values: dict[str, Any], _row: Any) -> dict[str, Any]:
    return values


@dataclass(frozen=True)
class Resource:
    """What the writes of one simple kind of object need to know about it."""

    model: Any
    name: str  # singular, as in audit actions: "section"
    id_prefix: str
    update: type[Input]  # the merge patch's schema (`byline clean-text` builds one)
    out: Callable[[Session, Any], dict[str, Any]]
    keys: Callable[[Any], Iterable[str]]
    # Sent fields -> column values: resolves references, fills defaults, validates.
    prepare: Callable[[Session, dict[str, Any], Any], dict[str, Any]] = _as_is
    # Why the row cannot be deleted now (it is used), or None.
    in_use: Callable[[Session, Any], str | None] = _no_use
    slug_from: str | None = "name"  # the field a missing slug is made from; None: no slug
    # Runs once the deletion is committed (files to remove).
    after_delete: Callable[[Any], None] | None = None

    @property
    def label(self) -> str:
        return self.name.replace("_", " ")


def _find(session: Session, resource: Resource, ref: str) -> Any:
    return find_for_write(
        session, resource.model, ref, label=resource.label, slugs=resource.slug_from is not None
    )


def _announce(
    session: Session,
    resource: Resource,
    verb: str,
    row: Any,
    fields: list[str],
    *,
    was: Iterable[str] = (),
) -> None:
    """The event of a write; `was` adds the keys the row had before (an old slug's)."""
    emit_change(
        session,
        f"{resource.name}.{verb}",
        resource=resource.name,
        representation=resource.out(session, row),
        fields=fields,
        keys={*resource.keys(row), *was},
    )


def create(session: Session, who: Editor, resource: Resource, data: Input) -> Any:
    """A new row from a validated body, audited in the same transaction."""
    sent = data.model_dump(exclude_unset=True)
    values = resource.prepare(session, {**data.model_dump(), **sent}, None)
    if resource.slug_from:
        values["slug"] = values.get("slug") or slugify(str(values[resource.slug_from]))
        check_slug(session, resource.model, values["slug"], label=resource.label)
    row = resource.model(id=new_id(resource.id_prefix), **values)
    session.add(row)
    _announce(session, resource, "created", row, sorted(sent))
    audit(
        session,
        who,
        action=f"{resource.name}.create",
        resource_type=resource.name,
        resource_id=row.id,
        version=1,
        fields=sorted(sent),
    )
    commit_or_conflict(session, label=resource.label, slug=values.get("slug"))
    return row


def update(session: Session, who: Editor, resource: Resource, ref: str, data: Input) -> Any:
    """Apply a merge patch to the version `If-Match` names (428 without, 412 when stale)."""
    expected = who.expected_version()
    row = _find(session, resource, ref)
    sent = data.model_dump(exclude_unset=True)
    values = resource.prepare(session, sent, row)
    if resource.slug_from and values.get("slug"):
        check_slug(session, resource.model, values["slug"], label=resource.label, other_than=row.id)
    was = set(resource.keys(row))  # a renamed slug: what was cached under the old one
    # An edit may take an object out of an answer (a renamed slug, a photo no longer
    # syndicable, an entry hidden): Last-Modified moves for every answer.
    note_removal(session)
    version = save_version(session, resource.model, row.id, expected=expected, values=values)
    row = session.get(resource.model, row.id, populate_existing=True)
    assert row is not None  # saved just now, in this transaction
    _announce(session, resource, "updated", row, sorted(sent), was=was)
    audit(
        session,
        who,
        action=f"{resource.name}.update",
        resource_type=resource.name,
        resource_id=row.id,
        version=version,
        fields=sorted(sent),
    )
    commit_or_conflict(session, label=resource.label, slug=values.get("slug"))
    return row


def remove(session: Session, who: Editor, resource: Resource, ref: str) -> None:
    """Delete the version `If-Match` names; 409 while other content uses the row."""
    expected = who.expected_version()
    row = _find(session, resource, ref)
    reason = resource.in_use(session, row)
    if reason:
        raise Conflict(f"The {resource.label} cannot be deleted: {reason}.")
    _announce(session, resource, "deleted", row, [])
    delete_version(session, resource.model, row.id, expected=expected)
    record_deletion(session, resource.name, row)
    audit(
        session,
        who,
        action=f"{resource.name}.delete",
        resource_type=resource.name,
        resource_id=row.id,
        version=expected,
    )
    commit_or_conflict(session, label=resource.label)
    if resource.after_delete is not None:
        resource.after_delete(row)
