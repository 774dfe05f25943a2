"""API keys: creation (the secret is returned once), listing, revocation, usage per day.
(The lookup by secret, which authentication needs, is `app.apikeys`.)"""

import secrets
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlmodel import Session

from app.apikeys import SECRET_PREFIX, hash_secret
from app.db import utcnow
from app.editorial import Editor, audit
from app.errors import NotFound
from app.ids import new_id
from app.models import ApiKey, KeyUsage, Scope
from app.pagination import Ordering, Page, PageParams, SortKey, paginate

ORDERING = Ordering("created", (SortKey(ApiKey.created_at), SortKey(ApiKey.id)))


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    secret: str


def create_key(
    session: Session,
    *,
    name: str,
    scopes: list[Scope],
    sections: list[str] = [],  # noqa: B006 (never mutated)
    tags: list[str] = [],  # noqa: B006
    advance_embargo: bool = False,
    rate_limit: int | None = None,
    expires_at: datetime | None = None,
    who: Editor | None = None,
) -> NewKey:
    """Make a key; the returned secret is never stored and cannot be shown again."""
    prefix = secrets.token_hex(4)
    secret = f"{SECRET_PREFIX}{prefix}_{secrets.token_urlsafe(24)}"
    key = ApiKey(
        id=new_id("key"),
        name=name,
        prefix=prefix,
        secret_hash=hash_secret(secret),
        scopes=sorted({s.value for s in scopes}),
        sections=sections,
        tags=tags,
        advance_embargo=advance_embargo,
        rate_limit=rate_limit,
        expires_at=expires_at,
    )
    session.add(key)
    if who is not None:
        audit(session, who, action="key.create", resource_type="key", resource_id=key.id)
    session.commit()
    return NewKey(key, secret)


def list_keys(session: Session, *, page: PageParams) -> Page:
    """Keys, newest first, revoked ones included."""
    return paginate(session, select(ApiKey), ORDERING, page)


def get_key(session: Session, *, key_id: str) -> ApiKey:
    """One key by id."""
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(f"No key {key_id!r}.")
    return key


def revoke_key(session: Session, *, key_id: str, who: Editor | None = None) -> ApiKey:
    """Revoke a key (once; revoking again keeps the first time)."""
    key = get_key(session, key_id=key_id)
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.add(key)
        if who is not None:
            audit(session, who, action="key.revoke", resource_type="key", resource_id=key.id)
        session.commit()
    return key


def get_usage(
    session: Session, *, key_id: str, since: date | None, until: date | None
) -> list[KeyUsage]:
    """Usage of one key per day, oldest first, within the given days (inclusive)."""
    get_key(session, key_id=key_id)
    stmt = select(KeyUsage).where(KeyUsage.key_id == key_id)
    if since:
        stmt = stmt.where(KeyUsage.day >= since)
    if until:
        stmt = stmt.where(KeyUsage.day <= until)
    return list(session.scalars(stmt.order_by(KeyUsage.day)))
