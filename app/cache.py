"""HTTP caching and the render cache, beneath the router.

A GET of content is keyed by (content generation, who may see what, path, query, Accept).
The first request renders through the router; its bytes, a gzip of them and a strong ETag
(a hash of those bytes, taken once) are kept. Later requests with the same key are
answered here, without routing, database work beyond reading the generation, or
serialization; conditional requests get 304 on both paths, from the same code.
Authentication, rate limits and their headers happen outside, in `access.py`, for both.
"""

import gzip
import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.auth import Principal
from app.config import get_settings
from app.generation import State, current_state
from app.models import Scope as KeyScope

UNCACHED_PREFIXES = ("/v1/keys",)
COMPRESS_MIN_BYTES = 1024
_KEPT_HEADERS = {b"content-type", b"surrogate-key", b"link", b"deprecation", b"sunset"}


@dataclass(frozen=True)
class Entry:
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes
    gzipped: bytes | None
    etag: bytes

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzipped or b"") + 256


class RenderCache:
    """Rendered answers in process, least recently used first out, bounded in bytes."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._entries: OrderedDict[str, Entry] = OrderedDict()

    def get(self, key: str) -> Entry | None:
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def put(self, key: str, entry: Entry) -> None:
        if entry.size > self.max_bytes // 8:
            return
        old = self._entries.pop(key, None)
        if old is not None:
            self.size -= old.size
        self._entries[key] = entry
        self.size += entry.size
        while self.size > self.max_bytes:
            _, evicted = self._entries.popitem(last=False)
            self.size -= evicted.size

    def clear(self) -> None:
        self._entries.clear()
        self.size = 0


def audience(scope: Scope) -> str | None:
    """Whose answer this is: `public`, one partner's, or None when it must not be kept."""
    path: str = scope["path"]
    if path.startswith(UNCACHED_PREFIXES) or b"preview=" in scope["query_string"]:
        return None
    principal: Principal | None = scope.get("state", {}).get("principal")
    if principal is None:
        return "public"
    if KeyScope.content_preview in principal.scopes:
        return None
    if principal.is_partner_only:
        return f"partner:{principal.key_id}"
    return "public"


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return value
    return None


def _etag_matches(if_none_match: bytes, etag: bytes) -> bool:
    if if_none_match.strip() == b"*":
        return True
    tags = (t.strip().removeprefix(b"W/") for t in if_none_match.split(b","))
    return etag in tags


def _not_modified(scope: Scope, entry: Entry, state: State) -> bool:
    if_none_match = _header(scope, b"if-none-match")
    if if_none_match is not None:
        return _etag_matches(if_none_match, entry.etag)
    if_modified_since = _header(scope, b"if-modified-since")
    if if_modified_since is not None:
        try:
            since = parsedate_to_datetime(if_modified_since.decode("latin-1"))
        except (TypeError, ValueError):
            return False
        return since.tzinfo is not None and state.changed_at.replace(microsecond=0) <= since
    return False


class HttpCacheMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.cache = RenderCache(get_settings().render_cache_mb * 1024 * 1024)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or not scope["path"].startswith("/v1/")
        ):
            await self.app(scope, receive, send)
            return
        who = audience(scope)
        if who is None:
            await self.app(scope, receive, send)
            return
        try:
            state = current_state()
        except Exception:  # no database: let the routed path give its own answer
            await self.app(scope, receive, send)
            return
        accept = _header(scope, b"accept") or b""
        query = scope["query_string"].decode("latin-1")
        key = f"{state.generation}|{who}|{scope['path']}|{query}|{accept.decode('latin-1')}"
        entry = self.cache.get(key)
        if entry is not None:
            await self._answer(scope, send, entry, state, b"HIT")
            return

        messages: list[Message] = []

        async def capture(message: Message) -> None:
            messages.append(message)

        await self.app(scope, receive, capture)
        start = messages[0] if messages else None
        body = b"".join(m.get("body", b"") for m in messages[1:])
        streaming = any(m.get("more_body") for m in messages[1:])
        if start is None or start["status"] != 200 or streaming:
            for message in messages:
                await send(message)
            return
        headers = tuple((k, v) for k, v in start.get("headers", []) if k in _KEPT_HEADERS)
        entry = Entry(
            headers=headers,
            body=body,
            gzipped=gzip.compress(body, 6) if len(body) >= COMPRESS_MIN_BYTES else None,
            etag=b'"' + hashlib.blake2b(body, digest_size=12).hexdigest().encode() + b'"',
        )
        self.cache.put(key, entry)
        await self._answer(scope, send, entry, state, b"MISS")

    @staticmethod
    async def _answer(scope: Scope, send: Send, entry: Entry, state: State, how: bytes) -> None:
        validators = [
            (b"etag", entry.etag),
            (b"last-modified", format_datetime(state.changed_at, usegmt=True).encode()),
            (b"x-cache", how),
        ]
        if _not_modified(scope, entry, state):
            keep = [(k, v) for k, v in entry.headers if k == b"surrogate-key"]
            await send({"type": "http.response.start", "status": 304, "headers": keep + validators})
            await send({"type": "http.response.body", "body": b""})
            return
        body = entry.body
        headers: list[Any] = [*entry.headers, *validators]
        encoding = _header(scope, b"accept-encoding") or b""
        if entry.gzipped is not None and b"gzip" in encoding:
            body = entry.gzipped
            headers.append((b"content-encoding", b"gzip"))
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send(
            {"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body}
        )
