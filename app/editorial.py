"""What every editorial write shares: versions and `If-Match`, the conditional update that
makes a stale write lose, and the audit record (the ETag itself: `app.etags`)."""

import re
from dataclasses import dataclass
from typing import Annotated, Any, NoReturn, cast

from fastapi import Depends, Request
from sqlalchemy import CursorResult, select, update
from sqlmodel import Session

from app.auth import Admin, Principal, Writer
from app.db import utcnow
from app.errors import InvalidParameter, NotFound, PreconditionFailed, PreconditionRequired
from app.etags import ENTITY_TAGS, version_of
from app.idempotency import Hold, hold_of, seal
from app.ids import new_id
from app.models import AuditEvent


@dataclass(frozen=True)
class Editor:
    """Who is writing (the key, for the audit), and the preconditions the request set."""

    key_id: str | None
    key_name: str | None
    request_id: str | None
    if_match: str | None
    # The Idempotency-Key the request holds: its write records what it made (see `audit`).
    idempotency: Hold | None = None

    def expected_version(self, *, required: bool = True) -> int | None:
        """The version named by `If-Match`: 428 without one (when required), None for `*`."""
        if self.if_match is None:
            if required:
                raise PreconditionRequired(
                    "This change needs If-Match with the ETag of the version you edited "
                    "(from your last GET or write), so that it cannot overwrite someone else's."
                )
            return None
        if self.if_match.strip() == "*":
            return None
        if not re.fullmatch(ENTITY_TAGS, self.if_match.strip()):
            raise InvalidParameter(
                "If-Match", 'is not a list of entity tags, such as "3-a1b2c3" (quotes included)'
            )
        versions = [version_of(t) for t in self.if_match.split(",")]
        known = [v for v in versions if v is not None]
        if not known:
            raise PreconditionFailed("If-Match does not name an ETag this server gave.")
        return max(known)

    @classmethod
    def of(cls, request: Request, principal: Principal) -> "Editor":
        return cls(
            key_id=principal.key_id,
            key_name=principal.name,
            request_id=request.scope.get("state", {}).get("request_id"),
            if_match=request.headers.get("if-match"),
            idempotency=hold_of(request.scope),
        )


def editor(request: Request, principal: Writer) -> Editor:
    return Editor.of(request, principal)


def admin_editor(request: Request, principal: Admin) -> Editor:
    """The editor of an `admin` object (a webhook) that is changed against its ETag."""
    return Editor.of(request, principal)


# A route that depends on one of these reads `If-Match` when it changes an object that
# exists (PATCH, DELETE, a POST under its path): the OpenAPI document declares it so.
EditorDep = Annotated[Editor, Depends(editor)]
AdminEditorDep = Annotated[Editor, Depends(admin_editor)]
EDITOR_DEPENDENCIES = (editor, admin_editor)


def audit(
    session: Session,
    who: Editor,
    *,
    action: str,
    resource_type: str,
    resource_id: str,
    version: int | None = None,
    fields: list[str] | None = None,
) -> None:
    """Record a change in the session's transaction: it commits or rolls back with it, and
    so does the record of what a request with an Idempotency-Key made."""
    seal(session, who.idempotency, resource_type=resource_type, resource_id=resource_id)
    session.add(
        AuditEvent(
            id=new_id("aud"),
            at=utcnow(),
            key_id=who.key_id,
            key_name=who.key_name,
            action=action,
            resource_type=resource_type,
            resource_id=resource_id,
            version=version,
            request_id=who.request_id,
            fields=sorted(fields or []),
        )
    )


def save_version(
    session: Session, model: Any, row_id: str, *, expected: int | None, values: dict[str, Any]
) -> int:
    """Write `values` and the next version in one conditional UPDATE; returns that version.

    With `expected`, the row changes only while its version is still `expected`: of two
    writers holding the same ETag, the database lets exactly one through, and the other
    gets 412 with nothing written (the caller's transaction is rolled back).
    """
    stmt = update(model).where(model.id == row_id)
    if expected is not None:
        stmt = stmt.where(model.version == expected)
    stmt = stmt.values(**values, version=model.version + 1, updated_at=utcnow())
    result = session.execute(stmt, execution_options={"synchronize_session": False})
    if cast(CursorResult[Any], result).rowcount == 0:
        raise_stale(session, model, row_id, expected)
    return int(session.scalars(select(model.version).where(model.id == row_id)).one())


def raise_stale(session: Session, model: Any, row_id: str, expected: int | None) -> NoReturn:
    """After a conditional write matched nothing: roll back, then 404 (gone) or 412 (stale)."""
    session.rollback()
    label = model.__tablename__.replace("_", " ")
    current = session.scalar(select(model.version).where(model.id == row_id))
    if current is None:
        raise NotFound(f"No {label} {row_id!r}.")
    raise PreconditionFailed(
        f"The {label} changed since your copy: it is at version {current}, If-Match named "
        f"version {expected}. Fetch it again, reapply your change, and send the new ETag."
    )
