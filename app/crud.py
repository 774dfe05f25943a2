"""Writes of the simple resources (sections, tags, authors, feed entries, photos): one
description per resource, one implementation of create, merge-patch and delete for all.

Each write runs in one transaction with its audit record; PATCH and DELETE take `If-Match`
and lose, in the database, to any save that came first (see `editorial.save_version`).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.db import SessionDep
from app.editorial import Editor, EditorDep, audit, raise_stale, save_version
from app.errors import Conflict, NotFound
from app.events.outbox import emit_change
from app.generation import note_removal
from app.ids import new_id
from app.inputs import Input, slugify
from app.lookup import by_ref
from app.pagination import item_response
from app.responses import JSONResponse
from app.schemas import WRITE_RESPONSES, One
from app.sync.tombstones import record_deletion


def _no_use(_session: Session, _row: Any) -> str | None:
    return None


def _as_is(_session: Session, values: dict[str, Any], _row: Any) -> dict[str, Any]:
    return values


@dataclass(frozen=True)
class Resource:
    """What the shared writes need to know about one kind of object."""

    model: Any
    name: str  # singular, as in audit actions: "section"
    path: str  # under /v1: "/sections"
    id_prefix: str
    create: type[Input]
    update: type[Input]
    out: Callable[[Session, Any], dict[str, Any]]
    out_schema: Any
    keys: Callable[[Any], Iterable[str]]
    # Sent fields -> column values: resolves references, fills defaults, validates.
    prepare: Callable[[Session, dict[str, Any], Any], dict[str, Any]] = _as_is
    # Why the row cannot be deleted now (it is used), or None.
    in_use: Callable[[Session, Any], str | None] = _no_use
    slug_from: str | None = "name"  # the field a missing slug is made from; None: no slug
    # Runs once the deletion is committed (files to remove).
    after_delete: Callable[[Any], None] | None = None
    # The routes to add; a resource with its own create route leaves out "POST".
    methods: tuple[str, ...] = ("POST", "PATCH", "DELETE")

    @property
    def label(self) -> str:
        return self.name.replace("_", " ")


def find(session: Session, resource: Resource, ref: str) -> Any:
    model = resource.model
    condition = by_ref(model, ref) if resource.slug_from else model.id == ref
    row = session.scalars(select(model).where(condition)).first()
    if row is None:
        raise NotFound(f"No {resource.label} {ref!r}.")
    return row


def _slug_taken(resource: Resource, slug: str) -> Conflict:
    return Conflict(
        f"The slug {slug!r} is taken by another {resource.label}.",
        errors=[{"field": "slug", "message": f"already used by another {resource.label}"}],
    )


def _check_slug(session: Session, resource: Resource, slug: str, other_than: str | None) -> None:
    model = resource.model
    stmt = select(model.id).where(model.slug == slug)
    if other_than:
        stmt = stmt.where(model.id != other_than)
    if session.scalar(stmt) is not None:
        raise _slug_taken(resource, slug)


def _commit(session: Session, resource: Resource, slug: str | None) -> None:
    try:
        session.commit()
    except IntegrityError:
        # A concurrent write took the slug between our check and our commit.
        session.rollback()
        if slug:
            raise _slug_taken(resource, slug) from None
        raise Conflict(f"The {resource.label} conflicts with a change made meanwhile.") from None


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
        _check_slug(session, resource, values["slug"], None)
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
    _commit(session, resource, values.get("slug"))
    return row


def update(session: Session, who: Editor, resource: Resource, ref: str, data: Input) -> Any:
    """Apply a merge patch to the version `If-Match` names (428 without, 412 when stale)."""
    expected = who.expected_version()
    row = find(session, resource, ref)
    sent = data.model_dump(exclude_unset=True)
    values = resource.prepare(session, sent, row)
    if resource.slug_from and values.get("slug"):
        _check_slug(session, resource, values["slug"], row.id)
    was = set(resource.keys(row))  # a renamed slug: what was cached under the old one
    # An edit may take an object out of an answer (a renamed slug, a photo no longer
    # syndicable, an entry hidden): Last-Modified moves for every answer.
    note_removal(session)
    version = save_version(session, resource.model, row.id, expected=expected, values=values)
    row = session.get(resource.model, row.id, populate_existing=True)
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
    _commit(session, resource, values.get("slug"))
    return row


def remove(session: Session, who: Editor, resource: Resource, ref: str) -> None:
    """Delete the version `If-Match` names; 409 while other content uses the row."""
    expected = who.expected_version()
    row = find(session, resource, ref)
    reason = resource.in_use(session, row)
    if reason:
        raise Conflict(f"The {resource.label} cannot be deleted: {reason}.")
    _announce(session, resource, "deleted", row, [])
    model = resource.model
    stmt = delete(model).where(model.id == row.id)
    if expected is not None:
        stmt = stmt.where(model.version == expected)
    if session.execute(stmt, execution_options={"synchronize_session": False}).rowcount == 0:
        raise_stale(session, model, row.id, expected)
    record_deletion(session, resource.name, row)
    audit(
        session,
        who,
        action=f"{resource.name}.delete",
        resource_type=resource.name,
        resource_id=row.id,
        version=expected,
    )
    _commit(session, resource, None)
    if resource.after_delete is not None:
        resource.after_delete(row)


def add_routes(router: APIRouter, resource: Resource) -> None:
    """`POST`, `PATCH /{ref}` and `DELETE /{ref}` for `resource` on `router`."""
    name, label = resource.name, resource.label
    a_label = f"{'an' if label[0] in 'aeiou' else 'a'} {label}"
    private = {"Cache-Control": "private, no-store"}

    def answer(request: Request, session: Session, row: Any, status: int = 200) -> JSONResponse:
        headers = dict(private)
        if status == 201:
            headers["Location"] = f"/v1{resource.path}/{row.id}"
        response = item_response(
            request, resource.out(session, row), keys=resource.keys(row), headers=headers
        )
        response.status_code = status
        return response

    def create_route(
        body: resource.create,  # type: ignore[name-defined]
        request: Request,
        session: SessionDep,
        who: EditorDep,
    ) -> JSONResponse:
        return answer(request, session, create(session, who, resource, body), 201)

    def update_route(
        ref: str,
        body: resource.update,  # type: ignore[name-defined]
        request: Request,
        session: SessionDep,
        who: EditorDep,
    ) -> JSONResponse:
        return answer(request, session, update(session, who, resource, ref, body))

    def delete_route(ref: str, session: SessionDep, who: EditorDep) -> Response:
        remove(session, who, resource, ref)
        return Response(status_code=204)

    common = {"responses": WRITE_RESPONSES, "tags": ["editorial"]}
    if "POST" in resource.methods:
        router.add_api_route(
            "",
            create_route,
            methods=["POST"],
            status_code=201,
            response_model=One[resource.out_schema],
            name=f"create_{name}",
            summary=f"Create {a_label}",
            description=f"Create {a_label}. Send `Idempotency-Key` so that a retry cannot "
            "make a twin.",
            **common,
        )
    router.add_api_route(
        "/{ref}",
        update_route,
        methods=["PATCH"],
        response_model=One[resource.out_schema],
        name=f"update_{name}",
        summary=f"Update {a_label}",
        description="A JSON merge patch. Needs `If-Match` with the ETag of the version you "
        "edited: 428 without it, 412 when someone saved since.",
        **common,
    )
    router.add_api_route(
        "/{ref}",
        delete_route,
        methods=["DELETE"],
        status_code=204,
        name=f"delete_{name}",
        summary=f"Delete {a_label}",
        description="Needs `If-Match`. Refused (409) while other content uses it.",
        **common,
    )
