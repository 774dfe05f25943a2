"""Access policy applied before routing: rate-limit tiers, cache scope by caller, usage."""

import logging

import anyio.to_thread
from sqlmodel import Session
from starlette.types import Scope as ASGIScope

from app.apikeys import record_usage as record_row
from app.auth import Principal
from app.config import get_settings
from app.db import get_engine, utcnow
from app.models import Scope

log = logging.getLogger("byline.access")

# Accept: an article also answers as ninjs when `Accept` asks for it.
VARY = b"Accept, Authorization, X-API-Key, Accept-Encoding"


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


def with_vary(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """Headers with one `Vary` naming ours and any the application set."""
    tokens = [t.strip() for t in VARY.split(b",")]
    others = []
    for name, value in headers:
        if name.lower() == b"vary":
            tokens += [t.strip() for t in value.split(b",") if t.strip() not in tokens]
        else:
            others.append((name, value))
    return [*others, (b"vary", b", ".join(tokens))]


def client_address(scope: ASGIScope) -> str:
    client = scope.get("client")
    return client[0] if client else "unknown"


def cache_control(
    principal: Principal | None, method: str, status: int, max_age: int | None = None
) -> bytes:
    """`max_age` shortens the defaults (60 s, and 300 s stale) for answers that change
    without a content write."""
    if principal is not None and Scope.content_preview in principal.scopes:
        return b"private, no-store"
    if method not in ("GET", "HEAD") or status not in (200, 304):
        return b"no-store"
    if principal is not None and principal.is_partner_only:
        return b"private, max-age=%d" % (max_age or 60)
    if not get_settings().allow_anonymous_reads:
        return b"private, max-age=%d" % (max_age or 60)
    if max_age is not None:
        return b"public, max-age=%d, stale-while-revalidate=%d" % (max_age, max_age)
    return b"public, max-age=60, stale-while-revalidate=300"


def cdn_control(control: bytes, max_age: int | None) -> list[tuple[bytes, bytes]]:
    """What a CDN in front is told beside `Cache-Control`: a public answer may be kept
    there longer than in a browser when every change purges it (`CDN_MAX_AGE`); nothing
    for private answers or for those that change without a write (`max_age`)."""
    seconds = get_settings().resolved_cdn_max_age
    if not seconds or max_age is not None or not control.startswith(b"public"):
        return []
    value = b"max-age=%d" % seconds
    return [(b"surrogate-control", value), (b"cdn-cache-control", value)]


async def record_usage(principal: Principal, items: int) -> None:
    """Count a partner request and its items; bookkeeping never fails an answer."""

    def record() -> None:
        with Session(get_engine()) as session:
            record_row(session, key_id=principal.key_id, day=utcnow().date(), items=items)

    try:
        await anyio.to_thread.run_sync(record)
    except Exception:
        log.exception("could not record usage for key %s", principal.key_id)
