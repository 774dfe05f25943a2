"""`Idempotency-Key` on POST: a request runs once; every retry gets its first result.

The key is claimed by inserting a row before the request runs, so two concurrent requests
with one key cannot both create: the second gets 409 while the first is in progress, and
the first answer once it is done. The same key with another body is refused (422).

A claim is a lease (`IDEMPOTENCY_LEASE_SECONDS`) held by one request's token. That
request's write records what it made in its own transaction (`seal`, called by the audit
of every change), and only while the token still holds the key: the write and its record
commit together or not at all. So when a server dies mid-request, a retry after the lease
finds either nothing committed (it takes the key over and runs the request once) or the
record of the committed write (it answers with that resource as it is now), never a twin.
The answer itself is kept gzip-compressed, whatever its size, and replayed in the
encoding the retry accepts.
"""

import dataclasses
import gzip
import hashlib
import random
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from starlette.types import Message, Scope

from app.config import get_settings
from app.db import get_engine, utcnow
from app.errors import Conflict
from app.models import IdempotencyRecord
from app.models import Scope as KeyScope
from app.urls import PREFIX, object_path

HEADER = b"idempotency-key"
MAX_KEY_LENGTH = 255
# Headers of the first answer worth replaying; the edge adds its own to every answer.
_KEPT = {b"content-type", b"location", b"etag", b"cache-control"}
_GZIP_MAGIC = b"\x1f\x8b"
# Below this a replay is sent as it is, as GZipMiddleware would not compress it either.
_COMPRESS_MIN_BYTES = 1024


@dataclass(frozen=True)
class Hold:
    """A claimed key as the request holding it carries it (in `scope["state"]`) to its write;
    `status` is the answer its route gives on success."""

    owner: str
    key: str
    token: str
    status: int = 200


@dataclass(frozen=True)
class Claim:
    """The outcome of claiming a key: `new` (run the request with `hold`), `replay` (a kept
    answer), `lost` (a committed write whose answer was never kept), or a refusal."""

    outcome: str  # "new", "replay", "lost", "mismatch", "busy"
    record: IdempotencyRecord | None = None
    hold: Hold | None = None


class KeyTakenOver(Conflict):
    """The lease ran out and a retry took the key over: this request must write nothing."""

    code = "idempotency-key-in-use"
    title = "Request in progress"


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
    """Insert the in-progress row for (owner, key), take over one whose lease ran out with
    nothing committed, or report what holds it already."""
    settings = get_settings()
    now = utcnow()
    cutoff = now - timedelta(hours=settings.idempotency_hours)
    lease = now + timedelta(seconds=settings.idempotency_lease_seconds)
    hold = Hold(owner, key, secrets.token_hex(16))
    mine = (IdempotencyRecord.owner == owner, IdempotencyRecord.key == key)
    with Session(get_engine()) as session:
        if random.random() < 0.01:  # forget expired keys now and then, off no one's path
            session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff))
        session.execute(
            delete(IdempotencyRecord).where(*mine, IdempotencyRecord.created_at < cutoff)
        )
        session.add(
            IdempotencyRecord(
                owner=owner, key=key, fingerprint=print_, token=hold.token, lease_until=lease
            )
        )
        try:
            session.commit()
            return Claim("new", hold=hold)
        except IntegrityError:
            session.rollback()
        record = session.scalars(select(IdempotencyRecord).where(*mine)).first()
        if record is None:  # released between our insert and this read: try once more
            return claim(owner, key, print_)
        if record.fingerprint != print_:
            return Claim("mismatch", record)
        if record.answered_at is not None:
            return Claim("replay", record)
        if record.lease_until > now:
            return Claim("busy", record)
        if record.resource_id is not None:
            return Claim("lost", record)
        # The holder died before committing anything: this request runs in its place. The
        # token in the condition makes one retry the winner when several arrive at once.
        taken = session.execute(
            update(IdempotencyRecord)
            .where(
                *mine,
                IdempotencyRecord.token == record.token,
                IdempotencyRecord.resource_id.is_(None),
                IdempotencyRecord.answered_at.is_(None),
            )
            .values(token=hold.token, lease_until=lease)
        ).rowcount
        session.commit()
        if taken:
            return Claim("new", hold=hold)
        return claim(owner, key, print_)


def hold_of(scope: Scope) -> Hold | None:
    """The key the request holds, with the success status of the route it reached."""
    hold = scope.get("state", {}).get("idempotency")
    if hold is None:
        return None
    status = getattr(scope.get("route"), "status_code", None) or 200
    return dataclasses.replace(hold, status=status)


def seal(session: Session, hold: Hold | None, *, resource_type: str, resource_id: str) -> None:
    """Record, in the write's own transaction, the resource a keyed request made.

    Refused (409, so the write rolls back) when a retry took the key over meanwhile. The
    first resource a request records is the one its answer shows.
    """
    if hold is None:
        return
    record = IdempotencyRecord
    done = session.execute(
        update(record)
        .where(record.owner == hold.owner, record.key == hold.key, record.token == hold.token)
        .values(
            resource_type=func.coalesce(record.resource_type, resource_type),
            resource_id=func.coalesce(record.resource_id, resource_id),
            status=func.coalesce(record.status, hold.status),
        ),
        execution_options={"synchronize_session": False},
    ).rowcount
    if not done:
        raise KeyTakenOver(
            "This request took too long and a retry with its Idempotency-Key ran in its "
            "place; nothing was written. Retry to get that result."
        )


def finish(hold: Hold, messages: list[Message]) -> None:
    """Keep the answer for retries. A server failure releases the key so that a retry can
    run, unless the write committed: then a retry answers with what it made."""
    start = messages[0] if messages else None
    body = b"".join(m.get("body", b"") for m in messages[1:])
    record = IdempotencyRecord
    where = (record.owner == hold.owner, record.key == hold.key, record.token == hold.token)
    with Session(get_engine()) as session:
        if start is None or start["status"] >= 500:
            session.execute(delete(record).where(*where, record.resource_id.is_(None)))
            session.execute(update(record).where(*where).values(lease_until=utcnow()))
        else:
            headers = list(start.get("headers", []))
            if _header(headers, b"content-encoding") == b"gzip":
                body = gzip.decompress(body)
            kept = [
                [k.decode("latin-1"), v.decode("latin-1")] for k, v in headers if k.lower() in _KEPT
            ]
            session.execute(
                update(record)
                .where(*where)
                .values(
                    status=start["status"],
                    headers=kept,
                    body=gzip.compress(body, 6),
                    answered_at=utcnow(),
                )
            )
        session.commit()


def replayed(
    record: IdempotencyRecord, scope: Scope
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """The kept answer: status, headers (marked as a replay) and body, gzip-encoded when the
    retry accepts it."""
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in record.headers]
    stored = record.body
    # Rows kept before answers were compressed hold the bytes as they were sent.
    identity = gzip.decompress(stored) if stored[:2] == _GZIP_MAGIC else stored
    body = identity
    if len(identity) >= _COMPRESS_MIN_BYTES and _accepts_gzip(scope):
        body = stored if stored[:2] == _GZIP_MAGIC else gzip.compress(identity, 6)
        headers.append((b"content-encoding", b"gzip"))
    return record.status or 200, _replay_headers(headers, body), body


def rerender_scope(scope: Scope, record: IdempotencyRecord, principal: Any) -> Scope:
    """A GET of the resource a lost answer showed, as the writer saw it (drafts included,
    as every write answer shows them), in the identity encoding."""
    # Every resource lives at /<prefix>/<collection>/<id>.
    collection = scope["path"].removeprefix(PREFIX).split("/")[1]
    path = object_path(collection, record.resource_id)
    dropped = {b"content-type", b"content-length", b"accept-encoding", HEADER}
    state = dict(scope.get("state", {}))
    if principal is not None:
        scopes = principal.scopes | {KeyScope.content_preview}
        state["principal"] = dataclasses.replace(principal, scopes=scopes)
    return {
        **scope,
        "method": "GET",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(k, v) for k, v in scope["headers"] if k not in dropped],
        "state": state,
    }


def rerendered(
    record: IdempotencyRecord, path: str, messages: list[Message]
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """The answer to a retry whose first answer was lost: the resource as it is now, with
    the status the write answered (or the GET's failure, as when it was deleted since)."""
    start = messages[0] if messages else {"status": 500, "headers": []}
    body = b"".join(m.get("body", b"") for m in messages[1:])
    if start["status"] != 200:
        return start["status"], _replay_headers(list(start.get("headers", [])), body), body
    headers = [
        (k, v) for k, v in start.get("headers", []) if k.lower() in _KEPT - {b"cache-control"}
    ]
    headers.append((b"cache-control", b"private, no-store"))
    status = record.status or 200
    if status == 201:
        headers.append((b"location", path.encode()))
    return status, _replay_headers(headers, body), body


def _replay_headers(headers: list[tuple[bytes, bytes]], body: bytes) -> list[tuple[bytes, bytes]]:
    kept = [(k, v) for k, v in headers if k.lower() != b"content-length"]
    return [
        *kept,
        (b"idempotent-replayed", b"true"),
        (b"content-length", str(len(body)).encode()),
    ]


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    return next((v for k, v in headers if k.lower() == name), None)


def _accepts_gzip(scope: Scope) -> bool:
    accepted = _header(scope["headers"], b"accept-encoding") or b""
    for part in accepted.lower().split(b","):
        name, _, params = part.partition(b";")
        if name.strip() == b"gzip":
            quality = params.replace(b" ", b"").removeprefix(b"q=")
            try:
                return float(quality or 1) > 0
            except ValueError:
                return False
    return False
