"""The delivery worker: fans due events out to their webhooks and delivers them.

Each round, in short transactions of its own:
1. **Dispatch.** Events that are due (`occurred_at` passed) and not yet dispatched are
   marked dispatched and get one delivery per active webhook subscribed to their type, in
   the same transaction; a scheduled story's `article.published` falls due at its time.
   With `PURGE_BACKEND` set, each also gets its CDN purge there (`app.purge.sender`),
   which the round sends before any webhook.
2. **Claim.** Due deliveries get a lease (`lease_until`, `lease_token`) in one
   `UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING id`: on
   PostgreSQL concurrent workers skip each other's rows, so no two send the same attempt.
3. **Send**, several at once, signed per Standard Webhooks, no redirects followed, a short
   time-out, only the start of the answer read.
4. **Record** the batch's attempts in one transaction, each finishing its delivery or
   scheduling the next try with exponential backoff and jitter. A worker that died
   mid-batch leaves leases that run out, and its deliveries are taken again (at least
   once: `webhook-id` lets receivers drop a repeat).

Nothing is held in memory between rounds: kill a worker at any point and another (or the
same, restarted) carries on from the database.
"""

import asyncio
import contextlib
import logging
import math
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Engine, delete, exists, or_, select, update
from sqlmodel import Session

from app import __version__
from app.config import Settings, get_settings
from app.db import get_engine, utcnow
from app.ids import new_id
from app.metrics import WEBHOOK_ATTEMPTS
from app.models import DeliveryStatus, Event, Webhook, WebhookAttempt, WebhookDelivery
from app.purge.sender import Purger
from app.responses import dumps
from app.retries import backoff
from app.webhooks import destinations, signing

log = logging.getLogger("byline.webhooks")

DISPATCH_BATCH = 200
EXCERPT_BYTES = 1024
EXCERPT_CHARS = 500
ERROR_CHARS = 500
PRUNE_EVERY_SECONDS = 600.0


def message(event: Event) -> bytes:
    """The body every delivery of `event` sends, byte for byte the same on each retry."""
    return dumps(
        {"id": event.id, "type": event.type, "timestamp": event.occurred_at, "data": event.data}
    )


def _subscribed(webhook: Webhook, event_type: str, occurred_at: datetime) -> bool:
    return webhook.created_at <= occurred_at and (
        "*" in webhook.events or event_type in webhook.events
    )


def _secrets(webhook: Webhook) -> list[str]:
    """What signs now: the secret, and a rotated-out one until it expires."""
    expires = webhook.previous_secret_expires_at
    if webhook.previous_secret and expires is not None and expires > utcnow():
        return [webhook.secret, webhook.previous_secret]
    return [webhook.secret]


@dataclass
class Job:
    delivery_id: str
    webhook_id: str
    attempt: int
    token: str
    url: str
    secrets: list[str]
    event: Event


@dataclass
class Outcome:
    at: datetime
    status_code: int | None = None
    duration_ms: int = 0
    error: str | None = None
    excerpt: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class Worker:
    def __init__(self, engine: Engine | None = None, settings: Settings | None = None) -> None:
        self.engine = engine or get_engine()
        self.settings = settings or get_settings()
        self.policy = destinations.Policy.of(self.settings)
        self._postgres = self.engine.dialect.name == "postgresql"
        self._pruned = 0.0
        timeout = self.settings.webhook_timeout_seconds
        self.timeout = httpx.Timeout(timeout, connect=min(timeout, 3.0))
        # Made once: loading the CA bundle is most of what a new client costs.
        self.tls = httpx.create_ssl_context(trust_env=False)
        # A lease outlasts the longest a batch can take (every attempt has a hard deadline),
        # so no live worker's delivery is ever taken over.
        rounds = math.ceil(self.settings.webhook_batch / self.settings.webhook_concurrency)
        self.lease = max(self.settings.webhook_lease_seconds, rounds * timeout + 5)
        self.purger = Purger.of(self.engine, self.settings)

    def run(self, stop: threading.Event) -> None:
        """Work until `stop` is set; a failing round is logged and the next one tried."""
        log.info("webhook worker started")
        while not stop.is_set():
            try:
                busy = self.run_once()
            except Exception:
                log.exception("webhook worker round failed; retrying")
                busy = 0
            if not busy:
                stop.wait(self.settings.webhook_poll_seconds)
        log.info("webhook worker stopped")

    def run_once(self) -> int:
        """One round: dispatch due events, purge their keys at the CDN (before webhooks go, so
        a receiver that fetches the story through the CDN gets it fresh), deliver one batch.
        Returns how much it did."""
        done = self.dispatch()
        if self.purger is not None:
            done += self.purger.run_once()
        done += self.deliver()
        if time.monotonic() - self._pruned > PRUNE_EVERY_SECONDS:
            self.prune()
        return done

    # 1. Dispatch.

    def dispatch(self) -> int:
        """Give due events their deliveries (and their purges, when purging is on); returns
        how many events were dispatched."""
        now = utcnow()
        due = (
            select(Event.id)
            .where(Event.dispatched_at.is_(None), Event.occurred_at <= now)
            .order_by(Event.occurred_at, Event.id)
            .limit(DISPATCH_BATCH)
        )
        with Session(self.engine) as session:
            # Idle rounds only read: a write transaction a second would compete with editors.
            if session.scalar(due.limit(1)) is None:
                return 0
            session.rollback()
            if self._postgres:
                due = due.with_for_update(skip_locked=True)
            claimed = session.execute(
                update(Event)
                .where(Event.id.in_(due), Event.dispatched_at.is_(None))
                .values(dispatched_at=now)
                .returning(Event.id, Event.type, Event.occurred_at, Event.data),
                execution_options={"synchronize_session": False},
            ).all()
            if not claimed:
                session.rollback()
                return 0
            webhooks = session.scalars(select(Webhook).where(Webhook.active.is_(True))).all()
            session.add_all(
                WebhookDelivery(
                    id=new_id("dlv"),
                    webhook_id=webhook.id,
                    event_id=event.id,
                    event_type=event.type,
                    next_attempt_at=now,
                    created_at=now,
                )
                for event in claimed
                for webhook in webhooks
                if _subscribed(webhook, event.type, event.occurred_at)
            )
            if self.purger is not None:
                session.add_all(self.purger.queue(claimed, now))
            session.commit()
        return len(claimed)

    # 2. Claim, 3. send, 4. record.

    def claim(self) -> list[Job]:
        """Lease a batch of due deliveries to this worker."""
        now = utcnow()
        token = secrets.token_hex(8)
        due = (
            select(WebhookDelivery.id)
            .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
            .where(
                WebhookDelivery.next_attempt_at <= now,
                or_(WebhookDelivery.lease_until.is_(None), WebhookDelivery.lease_until < now),
                Webhook.active.is_(True),
            )
            .order_by(WebhookDelivery.next_attempt_at)
            .limit(self.settings.webhook_batch)
        )
        lease = now + timedelta(seconds=self.lease)
        with Session(self.engine) as session:
            if session.scalar(due.limit(1)) is None:
                return []
            session.rollback()
            if self._postgres:
                due = due.with_for_update(skip_locked=True, of=WebhookDelivery)
            claimed = session.scalars(
                update(WebhookDelivery)
                .where(WebhookDelivery.id.in_(due))
                .values(lease_until=lease, lease_token=token)
                .returning(WebhookDelivery.id),
                execution_options={"synchronize_session": False},
            ).all()
            session.commit()
            if not claimed:
                return []
            rows = session.execute(
                select(WebhookDelivery, Webhook, Event)
                .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
                .join(Event, Event.id == WebhookDelivery.event_id)
                .where(WebhookDelivery.id.in_(claimed))
            ).all()
            return [
                Job(d.id, webhook.id, d.attempts + 1, token, webhook.url, _secrets(webhook), event)
                for d, webhook, event in rows
            ]

    def deliver(self) -> int:
        """Claim a batch, send it (several at once), record the outcomes."""
        jobs = self.claim()
        if jobs:
            outcomes = asyncio.run(self._send_all(jobs))
            self.record(list(zip(jobs, outcomes, strict=True)))
        return len(jobs)

    async def _send_all(self, jobs: list[Job]) -> list[Outcome]:
        limit = asyncio.Semaphore(self.settings.webhook_concurrency)
        async with contextlib.AsyncExitStack() as stack:
            clients: dict[str, httpx.AsyncClient] = {}

            def client_for(target: destinations.Target) -> httpx.AsyncClient:
                # One client per host name and batch: its connections are reused for that
                # host only, never for another whose TLS certificate would go unchecked.
                key = f"{target.url.split(':', 1)[0]}://{target.host_header}"
                if key not in clients:
                    clients[key] = httpx.AsyncClient(
                        verify=self.tls,
                        follow_redirects=False,
                        timeout=self.timeout,
                        trust_env=False,
                    )
                    stack.push_async_callback(clients[key].aclose)
                return clients[key]

            async def one(job: Job) -> Outcome:
                async with limit:
                    return await self.send(job, client_for)

            return await asyncio.gather(*(one(job) for job in jobs))

    async def send(
        self, job: Job, client_for: Callable[[destinations.Target], httpx.AsyncClient]
    ) -> Outcome:
        """One attempt, within a hard deadline: a receiver whose answer has not begun by
        then is cut off, however slowly it sends. Nothing about one attempt can fail the
        others: every error becomes this attempt's outcome."""
        outcome = Outcome(at=utcnow())
        started = time.perf_counter()
        limit = self.settings.webhook_timeout_seconds
        deadline = asyncio.get_running_loop().time() + limit
        try:
            await self._attempt(job, outcome, deadline, client_for)
        except (TimeoutError, httpx.TimeoutException):
            outcome.error = f"timed out after {limit:g} s"
        except destinations.Refused as exc:
            outcome.error = f"refused: {exc}"
        except httpx.HTTPError as exc:
            outcome.error = f"{type(exc).__name__}: {exc}"
        except Exception as exc:
            log.warning("delivery %s failed oddly", job.delivery_id, exc_info=True)
            outcome.error = f"{type(exc).__name__}: {exc}"
        outcome.duration_ms = round((time.perf_counter() - started) * 1000)
        status = outcome.status_code
        if status is not None and 300 <= status < 400 and outcome.error is None:
            outcome.error = "redirects are not followed"
        if outcome.error:
            outcome.error = outcome.error[:ERROR_CHARS]
        return outcome

    async def _attempt(
        self,
        job: Job,
        outcome: Outcome,
        deadline: float,
        client_for: Callable[[destinations.Target], httpx.AsyncClient],
    ) -> None:
        """POST the signed message to the address checked for this very attempt."""
        body = message(job.event)
        async with asyncio.timeout_at(deadline):
            target = await destinations.resolve(job.url, self.policy)
        headers = {
            "content-type": "application/json",
            "host": target.host_header,
            "user-agent": f"Byline-Webhooks/{__version__}",
            **signing.headers(job.secrets, message_id=job.event.id, at=outcome.at, body=body),
        }
        client = client_for(target)
        request = client.build_request(
            "POST", target.url, content=body, headers=headers, extensions=target.extensions
        )
        async with asyncio.timeout_at(deadline):
            response = await client.send(request, stream=True)
        try:
            outcome.status_code = response.status_code
            outcome.excerpt = await _excerpt(response, deadline)
        finally:
            await response.aclose()

    def record(self, results: list[tuple[Job, Outcome]]) -> None:
        """Store a batch's attempts and what follows from each, in one transaction; an
        attempt whose lease this worker no longer holds is not recorded."""
        now = utcnow()
        answered: set[str] = set()
        with Session(self.engine) as session:
            for job, outcome in results:
                kept = session.execute(
                    update(WebhookDelivery)
                    .where(
                        WebhookDelivery.id == job.delivery_id,
                        WebhookDelivery.lease_token == job.token,
                    )
                    .values(**self._after(job, outcome, now)),
                    execution_options={"synchronize_session": False},
                ).rowcount
                if not kept:
                    # The lease ran out and another worker took the delivery over.
                    log.warning("delivery %s: lease lost, attempt not recorded", job.delivery_id)
                    continue
                session.add(
                    WebhookAttempt(
                        id=new_id("att"),
                        delivery_id=job.delivery_id,
                        number=job.attempt,
                        at=outcome.at,
                        status_code=outcome.status_code,
                        duration_ms=outcome.duration_ms,
                        error=outcome.error,
                        response_excerpt=outcome.excerpt,
                    )
                )
                if outcome.succeeded:
                    answered.add(job.webhook_id)
                WEBHOOK_ATTEMPTS.labels(self._outcome(job, outcome)).inc()
            session.commit()
            # A transaction per receiver: two workers never lock each other's rows in turn.
            for webhook_id in sorted(answered):
                self._resume_backlog(session, webhook_id, now)
                session.commit()

    def _outcome(self, job: Job, outcome: Outcome) -> str:
        if outcome.succeeded:
            return "succeeded"
        return "failed" if job.attempt >= self.settings.webhook_max_attempts else "retrying"

    def _after(self, job: Job, outcome: Outcome, now: datetime) -> dict[str, Any]:
        """The delivery's columns after this attempt: done, failed for good, or retried."""
        values: dict[str, Any] = {
            "attempts": job.attempt,
            "lease_until": None,
            "lease_token": None,
            "last_attempt_at": outcome.at,
            "last_status_code": outcome.status_code,
            "last_error": outcome.error,
        }
        kind = self._outcome(job, outcome)
        if kind == "succeeded":
            values.update(status=DeliveryStatus.succeeded, next_attempt_at=None, completed_at=now)
        elif kind == "failed":
            values.update(status=DeliveryStatus.failed, next_attempt_at=None, completed_at=now)
        else:
            wait = backoff(job.attempt, self.settings)
            values.update(
                status=DeliveryStatus.pending, next_attempt_at=now + timedelta(seconds=wait)
            )
        return values

    @staticmethod
    def _resume_backlog(session: Session, webhook_id: str, now: datetime) -> None:
        """The receiver answers again: what waits for it in backoff goes now, not hours later."""
        session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.webhook_id == webhook_id,
                WebhookDelivery.status == DeliveryStatus.pending,
                WebhookDelivery.attempts > 0,
                WebhookDelivery.next_attempt_at > now,
            )
            .values(next_attempt_at=now),
            execution_options={"synchronize_session": False},
        )

    # Housekeeping.

    def prune(self) -> int:
        """Delete events (and their deliveries) past the retention period, once finished, and
        purges finished as long ago."""
        self._pruned = time.monotonic()
        cutoff = utcnow() - timedelta(days=self.settings.event_retention_days)
        pending = exists().where(
            WebhookDelivery.event_id == Event.id,
            WebhookDelivery.status == DeliveryStatus.pending,
        )
        with Session(self.engine) as session:
            gone = session.execute(
                delete(Event).where(
                    Event.occurred_at < cutoff, Event.dispatched_at.is_not(None), ~pending
                ),
                execution_options={"synchronize_session": False},
            ).rowcount
            session.commit()
        if self.purger is not None:
            self.purger.prune(cutoff)
        return gone


async def _excerpt(response: httpx.Response, deadline: float) -> str | None:
    """At most the first EXCERPT_BYTES of the answer, as much as arrives by the deadline: a
    receiver's body is never kept whole, and its status alone decides the outcome."""
    read = b""
    try:
        async with asyncio.timeout_at(deadline):
            async for chunk in response.aiter_bytes():
                read += chunk
                if len(read) >= EXCERPT_BYTES:
                    break
    except (TimeoutError, httpx.HTTPError):
        pass
    if not read:
        return None
    return read[:EXCERPT_BYTES].decode("utf-8", "replace")[:EXCERPT_CHARS]
