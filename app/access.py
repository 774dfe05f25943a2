"""Access control before routing: the caller's key, its rate limit, its usage, cache scope.

Pure ASGI, so the same checks guard every path into the application.
"""

import logging
from typing import Any

import anyio.to_thread
from sqlmodel import Session
from starlette.types import ASGIApp, Message, Receive, Send
from starlette.types import Scope as ASGIScope

from app.auth import Principal, Unauthorized, authenticate
from app.config import get_settings
from app.db import get_engine, utcnow
from app.errors import problem_body
from app.models import Scope
from app.ratelimit import Decision, RateLimiter
from app.responses import dumps

log = logging.getLogger("byline.access")

GUARDED_PREFIX = "/v1/"
VARY = b"Authorization, X-API-Key, Accept-Encoding"


def tier(principal: Principal | None) -> tuple[str, int]:
    """The rate-limit policy name and requests a minute for a caller."""
    settings = get_settings()
    if principal is None:
        return "anonymous", settings.rate_limit_anonymous
    if principal.rate_limit:
        return "key", principal.rate_limit
    scopes = principal.scopes
    if scopes & {Scope.content_read, Scope.content_preview, Scope.content_write}:
        return "key", settings.rate_limit_key
    if Scope.partner in scopes:
        return "partner", settings.rate_limit_partner
    return "admin", settings.rate_limit_admin


def _with_vary(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """Headers with one `Vary` naming ours and any the application set."""
    tokens = [t.strip() for t in VARY.split(b",")]
    others = []
    for name, value in headers:
        if name.lower() == b"vary":
            tokens += [t.strip() for t in value.split(b",") if t.strip() not in tokens]
        else:
            others.append((name, value))
    return [*others, (b"vary", b", ".join(tokens))]


def _client_address(scope: ASGIScope) -> str:
    client = scope.get("client")
    return client[0] if client else "unknown"


def _cache_control(principal: Principal | None, method: str, status: int) -> bytes:
    if principal is not None and Scope.content_preview in principal.scopes:
        return b"private, no-store"
    if method not in ("GET", "HEAD") or status not in (200, 304):
        return b"no-store"
    if principal is not None and principal.is_partner_only:
        return b"private, max-age=60"
    if not get_settings().allow_anonymous_reads:
        return b"private, max-age=60"
    return b"public, max-age=60, stale-while-revalidate=300"


class AccessMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.limiter = RateLimiter(get_settings().redis_url)

    async def __call__(self, scope: ASGIScope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(GUARDED_PREFIX):
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        try:
            principal = await authenticate(scope)
        except Unauthorized as exc:
            # Bad keys are limited per address, so that guessing costs as much as reading.
            decision = await self.limiter.hit(
                f"ip:{_client_address(scope)}", limit=tier(None)[1], policy="anonymous"
            )
            await self._problem(
                scope,
                send,
                exc.status,
                exc.code,
                exc.title,
                exc.detail,
                decision,
                [(b"www-authenticate", b'Bearer realm="byline"')],
            )
            return
        state["principal"] = principal
        policy, limit = tier(principal)
        identity = f"key:{principal.key_id}" if principal else f"ip:{_client_address(scope)}"
        decision = await self.limiter.hit(identity, limit=limit, policy=policy)
        if not decision.allowed:
            await self._problem(
                scope,
                send,
                429,
                "rate-limited",
                "Too many requests",
                f"The limit is {decision.limit} requests a minute; retry in {decision.reset} s.",
                decision,
                [(b"retry-after", str(max(1, decision.reset)).encode())],
            )
            return

        method = scope["method"]
        status_holder: list[int] = []

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder.append(message["status"])
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                if b"cache-control" not in names:
                    headers.append(
                        (b"cache-control", _cache_control(principal, method, message["status"]))
                    )
                headers = _with_vary(headers)
                headers.extend(decision.headers())
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
        partner = principal is not None and Scope.partner in principal.scopes
        if partner and status_holder and status_holder[0] < 400:
            await self._record_usage(principal, int(state.get("items", 0)))

    async def _record_usage(self, principal: Principal, items: int) -> None:
        def record() -> None:
            from app.keys.service import record_usage

            with Session(get_engine()) as session:
                record_usage(session, key_id=principal.key_id, day=utcnow().date(), items=items)

        try:
            await anyio.to_thread.run_sync(record)
        except Exception:  # usage is bookkeeping: never fail an answer already sent
            log.exception("could not record usage for key %s", principal.key_id)

    @staticmethod
    async def _problem(
        scope: ASGIScope,
        send: Send,
        status: int,
        code: str,
        title: str,
        detail: str,
        decision: Decision,
        extra: list[tuple[bytes, bytes]],
    ) -> None:
        body = dumps(
            problem_body(
                status=status,
                code=code,
                title=title,
                detail=detail,
                instance=scope["path"],
                request_id=scope.get("state", {}).get("request_id"),
            )
        )
        headers: list[tuple[bytes, Any]] = [
            (b"content-type", b"application/problem+json"),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store"),
            *decision.headers(),
            *extra,
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
