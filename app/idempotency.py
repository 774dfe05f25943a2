"""`Idempotency-Key` on POST: the first answer is kept and replayed to every retry.

The key is claimed by inserting a row before the request runs, so two concurrent requests
with one key cannot both create: the second gets 409 while the first is in progress, and
the first answer once it is done. The same key with another body is refused (422).
"""

import hashlib
import random
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from starlette.types import Message, Scope

from app.config import get_settings
from app.db import get_engine, utcnow
from app.models import IdempotencyRecord

HEADER = b"idempotency-key"
MAX_KEY_LENGTH = 255
MAX_KEPT_BODY = 1024 * 1024
# Headers of the first answer worth replaying; the edge adds its own to every answer.
_KEPT = {b"content-type", b"location", b"etag", b"cache-control"}


@dataclass(frozen=True)
class Claim:
    """The outcome of claiming a key: `new` (run the request), or a kept answer, or a refusal."""

    outcome: str  # "new", "replay", "mismatch", "busy"
    record: IdempotencyRecord | None = None


def presented_key(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == HEADER:
            return value.decode("latin-1").strip()
    return None


def valid_key(key: str) -> bool:
    return 0 < len(key) <= MAX_KEY_LENGTH and key.isprintable() and key.isascii()


def fingerprint(scope: Scope, body: bytes) -> str:
    """What makes two requests "the same": method, path, query, content type and body."""
    digest = hashlib.sha256()
    content_type = next((v for k, v in scope["headers"] if k == b"content-type"), b"")
    for part in (scope["method"].encode(), scope["path"].encode(), scope["query_string"]):
        digest.update(part + b"\0")
    digest.update(content_type.split(b";")[0].strip() + b"\0")
    digest.update(body)
    return digest.hexdigest()


def claim(owner: str, key: str, print_: str) -> Claim:
    """Insert the in-progress row for (owner, key), or report what holds it already."""
    cutoff = utcnow() - timedelta(hours=get_settings().idempotency_hours)
    with Session(get_engine()) as session:
        if random.random() < 0.01:  # forget expired keys now and then, off no one's path
            session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff))
        session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.owner == owner,
                IdempotencyRecord.key == key,
                IdempotencyRecord.created_at < cutoff,
            )
        )
        session.add(IdempotencyRecord(owner=owner, key=key, fingerprint=print_))
        try:
            session.commit()
            return Claim("new")
        except IntegrityError:
            session.rollback()
        record = session.scalars(
            select(IdempotencyRecord).where(
                IdempotencyRecord.owner == owner, IdempotencyRecord.key == key
            )
        ).first()
        if record is None:  # released between our insert and this read: try once more
            return claim(owner, key, print_)
        if record.fingerprint != print_:
            return Claim("mismatch", record)
        if record.status is None:
            return Claim("busy", record)
        return Claim("replay", record)


def finish(owner: str, key: str, messages: list[Message]) -> None:
    """Keep the answer for retries; a server failure releases the key so a retry can run."""
    start = messages[0] if messages else None
    body = b"".join(m.get("body", b"") for m in messages[1:])
    with Session(get_engine()) as session:
        where = (IdempotencyRecord.owner == owner, IdempotencyRecord.key == key)
        if start is None or start["status"] >= 500 or len(body) > MAX_KEPT_BODY:
            session.execute(delete(IdempotencyRecord).where(*where))
        else:
            headers = [
                [k.decode("latin-1"), v.decode("latin-1")]
                for k, v in start.get("headers", [])
                if k.lower() in _KEPT
            ]
            session.execute(
                update(IdempotencyRecord)
                .where(*where)
                .values(status=start["status"], headers=headers, body=body)
            )
        session.commit()


def replayed(record: IdempotencyRecord) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """The kept answer: status, headers (marked as a replay) and body."""
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in record.headers]
    headers.append((b"idempotent-replayed", b"true"))
    headers.append((b"content-length", str(len(record.body)).encode()))
    return record.status or 200, headers, record.body
