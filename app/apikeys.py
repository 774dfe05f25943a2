"""API key secrets and their bookkeeping, shared by authentication and the keys feature:
the secret's format and hash, the lookup by secret, and what a key's use writes (its
last use, its usage per day), each outside the request's own transaction.

A key's last use is kept in memory per worker and written about once a second, in one
batch of its own (as view counts are): an authenticated read writes nothing in its turn.
"""

import hashlib
import hmac
import logging
import threading
import time
from datetime import date, datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from app.db import get_engine, utcnow
from app.models import ApiKey, KeyUsage

log = logging.getLogger("byline.keys")

SECRET_PREFIX = "byl_"
FLUSH_SECONDS = 1.0


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


def find_key(session: Session, secret: str) -> ApiKey | None:
    """The key whose secret this is, whatever its state; notes its use (see `last_use`)."""
    prefix = split_secret(secret)
    if prefix is None:
        return None
    key = session.scalars(select(ApiKey).where(col(ApiKey.prefix) == prefix)).first()
    if key is None or not hmac.compare_digest(key.secret_hash, hash_secret(secret)):
        return None
    last_use.note(key.id)
    return key


class LastUse:
    """When each key was last used, buffered per worker and written in batches."""

    THREAD = "byline-keys"  # the flush's own thread

    def __init__(self) -> None:
        self._pending: dict[str, datetime] = {}
        self._lock = threading.Lock()
        self._flushing = threading.Lock()
        self._timer: threading.Thread | None = None
        self._flushed_at = time.monotonic()
        self.interval = FLUSH_SECONDS

    def note(self, key_id: str) -> None:
        """Remember that `key_id` was used now."""
        with self._lock:
            self._pending[key_id] = utcnow()
            if self._timer is None:
                self._timer = threading.Thread(target=self._run, name=self.THREAD, daemon=True)
                self._timer.start()

    def flush(self) -> int:
        """Write the uses noted so far, one UPDATE for all; returns how many keys."""
        with self._flushing:
            with self._lock:
                batch, self._pending = self._pending, {}
            self._flushed_at = time.monotonic()
            if not batch:
                return 0
            table = ApiKey.__table__  # type: ignore[attr-defined]
            stmt = (
                update(table)
                .where(table.c.id == bindparam("key_id"))
                .values(last_used_at=bindparam("used_at"))
            )
            try:
                with Session(get_engine()) as session:
                    session.connection().execute(
                        stmt, [{"key_id": k, "used_at": at} for k, at in batch.items()]
                    )
                    session.commit()
            except Exception:
                log.exception("could not write the last use of %d keys; keeping it", len(batch))
                with self._lock:
                    self._pending = {**batch, **self._pending}
                return 0
            return len(batch)

    def _run(self) -> None:
        while True:
            time.sleep(min(self.interval, 1.0))
            if time.monotonic() - self._flushed_at < self.interval:
                continue
            try:
                self.flush()
            except Exception:  # never let the timer die
                log.exception("key use flush failed")


last_use = LastUse()


def record_usage(session: Session, *, key_id: str, day: date, items: int) -> None:
    """Count one request and the items it served, atomically, on both databases."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(KeyUsage).values(key_id=key_id, day=day, requests=1, items=items)
    stmt = stmt.on_conflict_do_update(
        index_elements=["key_id", "day"],
        set_={
            "requests": KeyUsage.requests + 1,
            "items": KeyUsage.items + stmt.excluded["items"],
        },
    )
    session.execute(stmt)
    session.commit()
