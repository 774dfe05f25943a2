"""API keys: creation (the secret is returned once), lookup by secret, revocation, usage."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from app.db import utcnow
from app.editorial import Editor, audit
from app.errors import NotFound
from app.ids import new_id
from app.models import ApiKey, KeyUsage, Scope
from app.pagination import Ordering, Page, PageParams, SortKey, paginate

SECRET_PREFIX = "byl_"
ORDERING = Ordering("created", (SortKey(ApiKey.created_at), SortKey(ApiKey.id)))


def hash_secret(secret: str) -> str:
    # Secrets carry 190 random bits, so a fast hash is enough (as for GitHub's tokens).
    return hashlib.sha256(secret.encode()).hexdigest()


def split_secret(secret: str) -> str | None:
    """The lookup prefix of a well-formed secret (`byl_<prefix>_<random>`), else None."""
    if not secret.startswith(SECRET_PREFIX):
        return None
    prefix, _, rest = secret.removeprefix(SECRET_PREFIX).partition("_")
    if len(prefix) != 8 or len(rest) < 20:
        return None
    return prefix


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


def find_key(session: Session, secret: str) -> ApiKey | None:
    """The key whose secret this is, whatever its state; marks it used."""
    prefix = split_secret(secret)
    if prefix is None:
        return None
    key = session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).first()
    if key is None or not hmac.compare_digest(key.secret_hash, hash_secret(secret)):
        return None
    session.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=utcnow()))
    session.commit()
    return key


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


def record_usage(session: Session, *, key_id: str, day: date, items: int) -> None:
    """Count one request and the items it served, atomically, on both databases."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(KeyUsage).values(key_id=key_id, day=day, requests=1, items=items)
    stmt = stmt.on_conflict_do_update(
        index_elements=[KeyUsage.key_id, KeyUsage.day],
        set_={
            "requests": KeyUsage.requests + 1,
            "items": KeyUsage.items + stmt.excluded["items"],
        },
    )
    session.execute(stmt)
    session.commit()


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
