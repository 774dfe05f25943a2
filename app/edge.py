"""The edge: one pure ASGI layer in front of the routed application.

Every request passes here once: it gets its request id and security headers; an API
request is authenticated, rate-limited, admitted by its route's gate and given its cache
headers; a cacheable GET is answered from the render cache when it can be, so a warm read
never enters the router. A miss goes to the application, and its answer is kept on the way
out. What each route allows is its policy (`policy.py`), read from the routes themselves:
both paths pass exactly the same checks because this code runs them, before either.
"""

import asyncio
import logging
import time
from datetime import datetime
from typing import Any

import anyio.to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import bodies, cache, idempotency, lastmod, metrics
from app.access import (
    VARY,
    cache_control,
    cdn_control,
    client_address,
    record_usage,
    tier,
    with_vary,
)
from app.auth import Principal, Unauthorized, authenticate
from app.config import get_settings
from app.errors import ProblemError, problem_message
from app.generation import current_state
from app.logs import AccessLog, access_logged
from app.middleware import common_headers, request_id_of
from app.models import Scope as KeyScope
from app.policy import Policy, PolicyTable, allow_header
from app.ratelimit import Decision, RateLimiter
from app.served import count_served, items_served

log = logging.getLogger("byline.edge")

# Logical answers remembered for `_dated` (each some 300 bytes); forgotten all at once when full.
MAX_RENDERINGS = 10_000


class Edge:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        settings = get_settings()
        self.limiter = RateLimiter(settings.redis_url)
        self.cache = cache.RenderCache(settings.render_cache_mb * 1024 * 1024)
        self.shared = cache.SharedRenderCache(settings.redis_url) if settings.redis_url else None
        self._inflight: dict[str, asyncio.Future[cache.Entry | None]] = {}
        self.policies = PolicyTable(getattr(app, "routes", ()))
        self.access = AccessLog() if access_logged(settings) else None
        # Per kept answer (its key without the generation): the last rendering's ETag and
        # Last-Modified, to check the next one's (`_dated`).
        self._renderings: dict[str, tuple[bytes, datetime]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = request_id_of(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        try:
            status = await self._answer(scope, receive, send, request_id)
        finally:
            if self.access is not None:
                self.access.write(scope, status, time.perf_counter() - started, request_id)

    async def _answer(self, scope: Scope, receive: Receive, send: Send, request_id: str) -> int:
        """Answer one HTTP request; returns the status sent."""
        headers = common_headers(scope, request_id)
        method = scope["method"]
        if method == "HEAD":
            # Answered wherever GET is: as the GET would be, without its body.
            scope = {**scope, "method": "GET"}
            receive, send = _headless(receive, send)
        if method == "OPTIONS" or self.policies.match(scope) is None:
            allowed = self.policies.allowed(scope)
            if allowed and (method == "OPTIONS" or scope["method"] not in allowed):
                return await self._not_allowed(scope, send, headers, method, allowed)
        if not self.policies.guards(scope["path"]):
            return await self._routed(scope, receive, send, headers, None, edge_headers=False)
        started = time.perf_counter()
        status = 500
        policy = self.policies.match(scope)
        try:
            status = await self._guarded(scope, receive, send, headers, policy)
        except Exception:
            # The routed application renders its own failures; this is for the edge's own.
            log.exception("edge failure")
            body = problem_message(
                scope,
                500,
                "internal-error",
                "Internal server error",
                "The server failed to answer; the request id identifies it in the logs.",
            )
            await _send_problem(send, 500, body, headers)
        finally:
            resource = policy.resource if policy is not None else "other"
            metrics.observe(method, resource, status, time.perf_counter() - started)
        return status

    async def _not_allowed(
        self,
        scope: Scope,
        send: Send,
        headers: list[tuple[bytes, bytes]],
        method: str,
        allowed: frozenset[str],
    ) -> int:
        """OPTIONS (outside a CORS preflight, which CORS answers first): 204 with `Allow`.
        A method no route at this path takes: 405 with the full `Allow`, before any body
        is read or any key checked."""
        allow = (b"allow", allow_header(allowed))
        if method == "OPTIONS":
            await send(
                {
                    "type": "http.response.start",
                    "status": 204,
                    "headers": [*headers, allow, (b"cache-control", b"no-store")],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return 204
        taken = allow[1].decode()
        body = problem_message(
            scope,
            405,
            "method-not-allowed",
            "Method not allowed",
            f"{method} is not allowed here; this path takes {taken}.",
        )
        await _send_problem(send, 405, body, [*headers, allow])
        return 405

    async def _guarded(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        headers: list[tuple[bytes, bytes]],
        policy: Policy | None,
    ) -> int:
        """Authenticate, limit, admit, answer; returns the status sent. Without a policy
        (no route takes this method at this path) the router answers 404 or 405."""
        try:
            principal = await authenticate(scope, query_key=policy is not None and policy.query_key)
        except Unauthorized as exc:
            # Bad keys are limited per address, so that guessing costs as much as reading.
            decision = await self._hit(None, scope)
            body = problem_message(scope, 401, exc.code, exc.title, exc.detail)
            await _send_problem(
                send,
                401,
                body,
                [
                    *headers,
                    *decision.headers(),
                    (b"www-authenticate", b'Bearer realm="byline"'),
                ],
            )
            return 401
        scope["state"]["principal"] = principal
        decision = await self._hit(principal, scope)
        headers = [*headers, *decision.headers()]
        if not decision.allowed:
            body = problem_message(
                scope,
                429,
                "rate-limited",
                "Too many requests",
                f"The limit is {decision.limit} requests a minute; retry in {decision.reset} s.",
            )
            retry = (b"retry-after", str(max(1, decision.reset)).encode())
            await _send_problem(send, 429, body, [*headers, retry])
            return 429
        if policy is None:
            return await self._routed(scope, receive, send, headers, principal)
        try:
            # The route's own gate, run before anything is read or served from the cache.
            policy.gate.check(principal, scope)
        except ProblemError as exc:
            body = problem_message(scope, exc.status, exc.code, exc.title, exc.detail)
            extra = [(k.lower().encode(), v.encode()) for k, v in (exc.headers or {}).items()]
            await _send_problem(send, exc.status, body, [*headers, *extra])
            return exc.status

        method = scope["method"]
        if method in bodies.BODY_METHODS:
            try:
                bodies.check_headers(scope, upload=policy.upload)
                body = await bodies.read_body(scope, receive, upload=policy.upload)
            except ProblemError as exc:
                message = problem_message(scope, exc.status, exc.code, exc.title, exc.detail)
                await _send_problem(send, exc.status, message, headers)
                return exc.status
            receive = bodies.replay(body, receive)
            key = idempotency.presented_key(scope)
            if method == "POST" and key is not None:
                return await self._idempotent(scope, receive, send, headers, principal, key, body)
        who = cache.audience(scope, policy)
        state = None
        if who is not None:
            try:
                state = current_state()
            except Exception:  # no database: the routed path gives its own answer
                log.warning("content state unreadable; answering uncached", exc_info=True)
        if state is None:
            status = await self._routed(scope, receive, send, headers, principal)
        else:
            status = await self._cached(
                scope, receive, send, headers, principal, who, state, policy
            )
        if principal is not None and KeyScope.partner in principal.scopes and status < 400:
            await record_usage(principal, items_served(scope))
        return status

    async def _idempotent(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        headers: list[tuple[bytes, bytes]],
        principal: Principal | None,
        key: str,
        body: bytes,
    ) -> int:
        """A POST with an Idempotency-Key: run it once, replay its answer to retries."""

        async def refuse(status: int, code: str, title: str, detail: str) -> int:
            message = problem_message(scope, status, code, title, detail)
            await _send_problem(send, status, message, headers)
            return status

        if not idempotency.valid_key(key):
            return await refuse(
                400,
                "invalid-idempotency-key",
                "Invalid Idempotency-Key",
                f"An Idempotency-Key is 1 to {idempotency.MAX_KEY_LENGTH} printable ASCII "
                "characters.",
            )
        owner = f"key:{principal.key_id}" if principal else f"ip:{client_address(scope)}"
        fingerprint = idempotency.fingerprint(scope, body)
        claim = await anyio.to_thread.run_sync(idempotency.claim, owner, key, fingerprint)
        if claim.outcome == "mismatch":
            return await refuse(
                422,
                "idempotency-key-reused",
                "Idempotency-Key reused",
                "This Idempotency-Key was already used with a different request; "
                "use a new key for a new request.",
            )
        if claim.outcome == "busy":
            return await refuse(
                409,
                "idempotency-key-in-use",
                "Request in progress",
                "A request with this Idempotency-Key is still in progress; retry shortly.",
            )
        if claim.outcome in ("replay", "lost") and claim.record is not None:
            if claim.outcome == "replay":
                status, kept, content = idempotency.replayed(claim.record, scope)
            else:  # the write committed but its answer died with its server: show the resource
                lookup = idempotency.rerender_scope(scope, claim.record, principal)
                found: list[Message] = []

                async def keep(message: Message) -> None:
                    found.append(message)

                await self.app(lookup, receive, keep)
                status, kept, content = idempotency.rerendered(claim.record, lookup["path"], found)
            await send(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": _finished(kept, headers, principal, "POST", status),
                }
            )
            await send({"type": "http.response.body", "body": content})
            return status
        assert claim.hold is not None
        scope["state"]["idempotency"] = claim.hold  # the write records its outcome with it
        messages: list[Message] = []

        async def capture(message: Message) -> None:
            messages.append(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            await anyio.to_thread.run_sync(idempotency.finish, claim.hold, messages)
        return await _send_captured(send, messages, headers, principal, "POST")

    async def _hit(self, principal: Principal | None, scope: Scope) -> Decision:
        policy, limit = tier(principal)
        identity = f"key:{principal.key_id}" if principal else f"ip:{client_address(scope)}"
        return await self.limiter.hit(identity, limit=limit, policy=policy)

    async def _routed(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        headers: list[tuple[bytes, bytes]],
        principal: Principal | None,
        *,
        edge_headers: bool = True,
    ) -> int:
        """Through the application, adding the edge's headers (outside the API only the
        request id and security headers); returns the status."""
        status = 500

        async def finish(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                given = list(message.get("headers", []))
                message["headers"] = (
                    _finished(given, headers, principal, scope["method"], status)
                    if edge_headers
                    else [*given, *headers]
                )
            await send(message)

        await self.app(scope, receive, finish)
        return status

    async def _cached(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        headers: list[tuple[bytes, bytes]],
        principal: Principal | None,
        who: str,
        state: cache.State,
        policy: Policy,
    ) -> int:
        state = cache.as_of(policy, state)
        key = cache.cache_key(scope, who, state, policy)
        entry = self.cache.get(key)
        how = b"HIT"
        if entry is None and self.shared is not None:
            entry = await self.shared.get(key)
            if entry is not None:
                self.cache.put(key, entry)
        if entry is None and key in self._inflight:
            # Another request is rendering this very answer: wait for it, don't stampede.
            entry = await asyncio.shield(self._inflight[key])
        if entry is None:
            how = b"MISS"
            flight: asyncio.Future[cache.Entry | None] = asyncio.get_running_loop().create_future()
            self._inflight[key] = flight
            entry, status = None, 500
            try:
                entry, status = await self._render(
                    scope, receive, send, headers, principal, state, policy, key
                )
            finally:
                del self._inflight[key]
                flight.set_result(entry)
            if entry is None:  # sent as routed: not a 200 worth keeping
                return status
            self.cache.put(key, entry)
            if self.shared is not None:
                await self.shared.put(key, entry)
        metrics.RENDER_CACHE.labels(how.decode().lower()).inc()
        count_served(scope, entry.items)  # a kept answer serves as many as it did
        start, body = cache.answer_messages(scope, entry, [*headers, (b"x-cache", how)])
        await send(start)
        await send(body)
        return start["status"]

    async def _render(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        headers: list[tuple[bytes, bytes]],
        principal: Principal | None,
        state: cache.State,
        policy: Policy,
        key: str,
    ) -> tuple[cache.Entry | None, int]:
        """Render through the application: a 200 comes back to be kept and sent by the
        caller; anything else is sent here as routed. Returns (entry or None, status)."""
        messages: list[Message] = []

        async def capture(message: Message) -> None:
            messages.append(message)

        # The kept bytes are the identity encoding; the edge compresses them itself.
        identity = {
            **scope,
            "headers": [(k, v) for k, v in scope["headers"] if k != b"accept-encoding"],
        }
        with lastmod.dating() as dating:
            await self.app(identity, receive, capture)
        start = messages[0] if messages else None
        streaming = any(m.get("more_body") for m in messages[1:])
        if start is None or start["status"] != 200 or streaming or cache.private(start):
            return None, await _send_captured(send, messages, headers, principal, scope["method"])
        body = b"".join(m.get("body", b"") for m in messages[1:])
        control = cache_control(principal, "GET", 200, max_age=policy.max_age)
        kept = [(b"cache-control", control), *cdn_control(control, policy.max_age), (b"vary", VARY)]
        items = items_served(scope)
        # A short-lived answer moves on with its period (`cache.as_of`), not with its rows.
        changed_at = state.changed_at if policy.max_age else dating.changed_at(state)
        entry = cache.entry_from(start, body, changed_at, kept, items)
        return self._dated(key, entry, state), 200

    def _dated(self, key: str, entry: cache.Entry, state: cache.State) -> cache.Entry:
        """Hold what the rows said against this answer's last rendering here: the same
        bytes keep the time they were first given (it never goes back); other bytes whose
        time did not move past it mean the rows missed a change, and the time of the last
        write stands in (never a 304 for changed bytes)."""
        logical = key.split("|", 1)[1]
        last = self._renderings.get(logical)
        if len(self._renderings) >= MAX_RENDERINGS:
            self._renderings.clear()
        if last is not None and entry.changed_at < last[1] and last[0] == entry.etag:
            entry = cache.redated(entry, last[1])
        elif last is not None and entry.changed_at <= last[1] and last[0] != entry.etag:
            entry = cache.redated(entry, max(state.changed_at, last[1]), other_bytes_at=last[1])
        self._renderings[logical] = (entry.etag, entry.changed_at)
        return entry

    def forget(self) -> None:
        """Drop what this process remembers of earlier renderings (for tests that start
        from nothing)."""
        self._renderings.clear()


def _finished(
    headers: list[Any],
    extra: list[tuple[bytes, bytes]],
    principal: Principal | None,
    method: str,
    status: int,
) -> list[Any]:
    """An answer's headers plus the edge's: Cache-Control (unless set), Vary, the rest.

    An event stream is never stored by anyone, whoever reads it (drafts stream to preview
    keys): `private, no-store` replaces the framework's `no-cache`.
    """
    if any(k.lower() == b"content-type" and v.startswith(b"text/event-stream") for k, v in headers):
        headers = [(k, v) for k, v in headers if k.lower() != b"cache-control"]
        headers.append((b"cache-control", b"private, no-store"))
    elif not any(name.lower() == b"cache-control" for name, _ in headers):
        headers.append((b"cache-control", cache_control(principal, method, status)))
    return with_vary([*headers, *extra])


async def _send_captured(
    send: Send,
    messages: list[Message],
    extra: list[tuple[bytes, bytes]],
    principal: Principal | None,
    method: str,
) -> int:
    """Send an answer captured from the application, with the edge's headers; its status."""
    status = messages[0]["status"] if messages else 500
    for message in messages:
        if message["type"] == "http.response.start":
            message["headers"] = _finished(
                list(message.get("headers", [])), extra, principal, method, status
            )
        await send(message)
    return status


async def _send_problem(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _headless(receive: Receive, send: Send) -> tuple[Receive, Send]:
    """For a HEAD answered as a GET: the answer's start goes out, then an empty end, and
    nothing else; once it has, the application hears the client leave (a stream stops)."""
    ended = asyncio.Event()
    asked = False

    async def headless_send(message: Message) -> None:
        if ended.is_set():
            return
        if message["type"] == "http.response.start":
            await send(message)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            ended.set()

    async def headless_receive() -> Message:
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await ended.wait()
        return {"type": "http.disconnect"}

    return headless_receive, headless_send
