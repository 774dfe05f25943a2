"""The purge step of the worker: queue each dispatched event's surrogate keys, then purge
them at the CDN.

1. **Queue.** `Purger.queue` gives the events the worker dispatches their `Purge` rows, in
   the dispatch's transaction: after the change's commit, at the event's time (a scheduled
   story's keys go when it goes live), once per event.
2. **Claim** due rows with a lease, as webhook deliveries are claimed (`SKIP LOCKED` on
   PostgreSQL, so concurrent workers never send the same batch).
3. **Send** the batch's keys, de-duplicated across its events, in as few requests as the
   backend allows, every host and run of keys at once, within one deadline.
4. **Record**: every row of the batch done when every request answered 2xx; else each is
   tried again after the webhook backoff (purging a key twice is harmless), and given up
   after `WEBHOOK_MAX_ATTEMPTS`.
"""

import asyncio
import logging
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Engine, delete, or_, select, update
from sqlmodel import Session

from app import __version__
from app.config import Settings
from app.db import utcnow
from app.metrics import PURGE_KEYS, PURGE_REQUESTS
from app.models import DeliveryStatus, Purge
from app.purge.base import Backend, Request
from app.purge.fastly import Fastly
from app.purge.varnish import Varnish
from app.retries import backoff

log = logging.getLogger("byline.purge")

# Events a round purges at once: their keys go out together.
BATCH = 200
ERROR_CHARS = 500


def backend_of(settings: Settings) -> Backend | None:
    """The configured backend, or None when purging is off (`PURGE_BACKEND` empty)."""
    if settings.purge_backend == "varnish":
        return Varnish.of(settings.purge_varnish_urls, soft=settings.purge_soft)
    if settings.purge_backend == "fastly":
        return Fastly.of(
            settings.purge_fastly_url,
            settings.purge_fastly_service_id,
            settings.purge_fastly_token,
            soft=settings.purge_soft,
        )
    return None


@dataclass
class Claimed:
    token: str
    rows: list[tuple[str, int]]  # (event id, attempt number)
    keys: list[str]


class Purger:
    def __init__(self, engine: Engine, settings: Settings, backend: Backend) -> None:
        self.engine = engine
        self.settings = settings
        self.backend = backend
        self._postgres = engine.dialect.name == "postgresql"
        timeout = settings.webhook_timeout_seconds
        self.timeout = httpx.Timeout(timeout, connect=min(timeout, 3.0))
        # The whole batch has a deadline inside its lease, so a live worker's purges are
        # never taken over.
        self.lease = max(settings.webhook_lease_seconds, 4 * timeout + 5)
        self.deadline = self.lease - 5

    @classmethod
    def of(cls, engine: Engine, settings: Settings) -> "Purger | None":
        backend = backend_of(settings)
        return None if backend is None else cls(engine, settings, backend)

    # 1. Queue.

    @staticmethod
    def queue(events: Iterable[Any], now: datetime) -> list[Purge]:
        """The `Purge` rows of dispatched events (each with `.id` and `.data`); an event
        that names no keys needs none."""
        rows = []
        for event in events:
            keys = (event.data or {}).get("surrogate_keys") or []
            keys = sorted({key for key in keys if isinstance(key, str) and key})
            if keys:
                rows.append(
                    Purge(event_id=event.id, keys=keys, next_attempt_at=now, created_at=now)
                )
        return rows

    def run_once(self) -> int:
        """Claim a batch, purge its keys, record the outcome. Returns the events purged."""
        claimed = self.claim()
        if claimed is None:
            return 0
        error = asyncio.run(self.send(claimed.keys))
        self.record(claimed, error)
        return len(claimed.rows)

    # 2. Claim.

    def claim(self) -> Claimed | None:
        """Lease a batch of due purges to this worker."""
        now = utcnow()
        token = secrets.token_hex(8)
        due = (
            select(Purge.event_id)
            .where(
                Purge.next_attempt_at <= now,
                or_(Purge.lease_until.is_(None), Purge.lease_until < now),
            )
            .order_by(Purge.next_attempt_at)
            .limit(BATCH)
        )
        with Session(self.engine) as session:
            # Idle rounds only read.
            if session.scalar(due.limit(1)) is None:
                return None
            session.rollback()
            if self._postgres:
                due = due.with_for_update(skip_locked=True)
            rows = session.execute(
                update(Purge)
                .where(Purge.event_id.in_(due))
                .values(lease_until=now + timedelta(seconds=self.lease), lease_token=token)
                .returning(Purge.event_id, Purge.attempts, Purge.keys),
                execution_options={"synchronize_session": False},
            ).all()
            session.commit()
        if not rows:
            return None
        keys = sorted({key for row in rows for key in row.keys})
        return Claimed(token, [(row.event_id, row.attempts + 1) for row in rows], keys)

    # 3. Send.

    async def send(self, keys: Sequence[str]) -> str | None:
        """Purge `keys` with every request the backend needs; None when all succeeded,
        else what went wrong first."""
        requests = self.backend.requests(keys)
        limit = asyncio.Semaphore(self.settings.webhook_concurrency)
        async with httpx.AsyncClient(
            timeout=self.timeout, follow_redirects=False, trust_env=False
        ) as client:

            async def one(request: Request) -> str | None:
                async with limit:
                    return await self._attempt(client, request)

            try:
                async with asyncio.timeout(self.deadline):
                    errors = await asyncio.gather(*(one(r) for r in requests))
            except TimeoutError:
                errors = [f"the batch ran past {self.deadline:g} s"]
        failed = [error for error in errors if error]
        if not failed:
            PURGE_KEYS.labels(self.backend.name).inc(len(keys))
        return failed[0][:ERROR_CHARS] if failed else None

    async def _attempt(self, client: httpx.AsyncClient, request: Request) -> str | None:
        headers = {"user-agent": f"Byline-Purge/{__version__}", **request.headers}
        try:
            response = await client.request(
                request.method, request.url, headers=headers, content=request.content
            )
        except httpx.HTTPError as exc:
            error = f"{request.url}: {type(exc).__name__}: {exc}"
        else:
            if 200 <= response.status_code < 300:
                PURGE_REQUESTS.labels(self.backend.name, "succeeded").inc()
                return None
            error = f"{request.url}: {response.status_code} {response.text[:200]}"
        PURGE_REQUESTS.labels(self.backend.name, "failed").inc()
        log.warning("purge of %d keys failed: %s", len(request.keys), error)
        return error

    # 4. Record.

    def record(self, claimed: Claimed, error: str | None) -> None:
        """Finish the batch's purges, or schedule their next try; a purge whose lease this
        worker no longer holds is left to the worker that took it over."""
        now = utcnow()
        with Session(self.engine) as session:
            for event_id, attempt in claimed.rows:
                session.execute(
                    update(Purge)
                    .where(Purge.event_id == event_id, Purge.lease_token == claimed.token)
                    .values(**self._after(attempt, error, now)),
                    execution_options={"synchronize_session": False},
                )
            session.commit()

    def _after(self, attempt: int, error: str | None, now: datetime) -> dict[str, Any]:
        values: dict[str, Any] = {
            "attempts": attempt,
            "lease_until": None,
            "lease_token": None,
            "last_error": error,
        }
        if error is None:
            values.update(status=DeliveryStatus.succeeded, next_attempt_at=None, completed_at=now)
        elif attempt >= self.settings.webhook_max_attempts:
            values.update(status=DeliveryStatus.failed, next_attempt_at=None, completed_at=now)
        else:
            wait = backoff(attempt, self.settings)
            values.update(next_attempt_at=now + timedelta(seconds=wait))
        return values

    # Housekeeping.

    def prune(self, cutoff: datetime) -> int:
        """Delete purges finished before `cutoff`."""
        with Session(self.engine) as session:
            gone = session.execute(
                delete(Purge).where(Purge.completed_at < cutoff),
                execution_options={"synchronize_session": False},
            ).rowcount
            session.commit()
        return gone
