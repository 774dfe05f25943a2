"""The render cache and HTTP validators.

A GET of content is keyed by (content generation, who may see what, path, query, and
the representation `Accept` negotiates), and by the address it was asked at when
`PUBLIC_URL` is unset (links and media URLs are then made from it).
The first request renders through the router; its bytes, a gzip of them and a strong ETag
(a hash of those bytes, taken once) are kept. Later requests with the same key are
answered from here by the edge (`edge.py`), without routing or serialization; conditional
requests get 304 on both paths, from the same code.
"""

import gzip
import hashlib
import json
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from starlette.types import Message, Scope

from app.auth import Principal
from app.config import get_settings
from app.generation import State
from app.models import Scope as KeyScope
from app.policy import Policy

log = logging.getLogger("byline.cache")

COMPRESS_MIN_BYTES = 1024
_KEPT_HEADERS = {b"content-type", b"surrogate-key", b"link", b"deprecation", b"sunset"}


Headers = list[tuple[bytes, bytes]]


@dataclass(frozen=True)
class Entry:
    """A kept answer, with its headers for each way it can go out built once."""

    body: bytes
    gzipped: bytes | None
    etag: bytes
    changed_at: Any
    kept: Headers  # the routed answer's own headers worth keeping
    policy: Headers  # the edge's Cache-Control and Vary for this audience
    items: int  # objects in the answer, for partner usage counts
    plain: Headers
    zipped: Headers | None
    unchanged: Headers  # for a 304
    # The HTTP date (whole seconds) of other bytes given earlier in the very second this
    # answer's Last-Modified names: a client holding that date has another answer.
    ambiguous_at: datetime | None = None

    @property
    def size(self) -> int:
        """What the entry holds in memory, about: its bytes, and each header of each of
        its answers (a tuple of two bytes objects costs some 150 bytes beyond their text)."""
        headers = (*self.plain, *(self.zipped or ()), *self.unchanged)
        return (
            len(self.body)
            + len(self.gzipped or b"")
            + sum(len(k) + len(v) + 150 for k, v in headers)
            + 1024
        )


class RenderCache:
    """Rendered answers in process, least recently used first out, bounded in bytes."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._generation = -1  # the newest content generation a kept answer was keyed on

    def get(self, key: str) -> Entry | None:
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def put(self, key: str, entry: Entry) -> None:
        if entry.size > self.max_bytes // 8:
            return
        generation = _generation_of(key)
        if generation is not None and generation > self._generation:
            self._retire_before(generation)
        old = self._entries.pop(key, None)
        if old is not None:
            self.size -= old.size
        self._entries[key] = entry
        self.size += entry.size
        while self.size > self.max_bytes:
            _, evicted = self._entries.popitem(last=False)
            self.size -= evicted.size

    def _retire_before(self, generation: int) -> None:
        """Content changed: answers keyed on an older generation can never be asked for
        again (every read keys on the current one), so they go now rather than when the
        bytes of newer ones push them out."""
        self._generation = generation
        for key in [k for k in self._entries if _generation_of(k) != generation]:
            self.size -= self._entries.pop(key).size


def _generation_of(key: str) -> int | None:
    head = key.partition("|")[0]
    return int(head) if head.isdigit() else None


def audience(scope: Scope, policy: Policy) -> str | None:
    """Whose answer this is: `public`, one partner's, or None when it must not be kept.

    Called only after the route's gate admitted the caller (see `edge.py`): a kept answer
    is never served to a caller the route itself would have refused. A preview link's
    answer is its holder's alone.
    """
    if not policy.keeps(scope) or b"preview=" in scope["query_string"]:
        return None
    principal: Principal | None = scope.get("state", {}).get("principal")
    if principal is None:
        return "public"
    if KeyScope.content_preview in principal.scopes:
        return None
    if principal.is_partner_only:
        return f"partner:{principal.key_id}"
    return "public"


def header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return value
    return None


def _etag_matches(if_none_match: bytes, etag: bytes) -> bool:
    if if_none_match.strip() == b"*":
        return True
    tags = (t.strip().removeprefix(b"W/") for t in if_none_match.split(b","))
    return etag in tags


def not_modified(scope: Scope, entry: Entry) -> bool:
    if_none_match = header(scope, b"if-none-match")
    if if_none_match is not None:
        return _etag_matches(if_none_match, entry.etag)
    if_modified_since = header(scope, b"if-modified-since")
    if if_modified_since is not None:
        try:
            since = parsedate_to_datetime(if_modified_since.decode("latin-1"))
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None or since == entry.ambiguous_at:
            return False
        return entry.changed_at.replace(microsecond=0) <= since
    return False


def private(start: Message) -> bool:
    """An answer its route marked as one caller's own (`private` or `no-store`): never kept,
    so never served to another caller (editorial reads such as revisions)."""
    value = next((v for k, v in start.get("headers", []) if k == b"cache-control"), b"")
    return b"private" in value or b"no-store" in value


def entry_from(
    start: Message, body: bytes, changed_at: datetime, policy: Headers, items: int
) -> Entry:
    """What is kept of a routed 200: its bytes, their gzip, an ETag hashed once, when it
    last changed (`lastmod`), and the headers of each answer it can give (`policy`: the
    edge's Cache-Control and Vary)."""
    return assemble(
        kept=[(k, v) for k, v in start.get("headers", []) if k in _KEPT_HEADERS],
        policy=policy,
        body=body,
        gzipped=gzip.compress(body, 6) if len(body) >= COMPRESS_MIN_BYTES else None,
        etag=next((v for k, v in start.get("headers", []) if k == b"etag"), None)
        or b'"' + hashlib.blake2b(body, digest_size=12).hexdigest().encode() + b'"',
        changed_at=changed_at,
        items=items,
    )


def assemble(
    *,
    kept: Headers,
    policy: Headers,
    body: bytes,
    gzipped: bytes | None,
    etag: bytes,
    changed_at: datetime,
    items: int,
) -> Entry:
    validators = [
        (b"etag", etag),
        (b"last-modified", format_datetime(changed_at, usegmt=True).encode()),
        *policy,
    ]
    return Entry(
        body=body,
        gzipped=gzipped,
        etag=etag,
        changed_at=changed_at,
        kept=kept,
        policy=policy,
        items=items,
        plain=[*kept, *validators, (b"content-length", str(len(body)).encode())],
        zipped=None
        if gzipped is None
        else [
            *kept,
            *validators,
            (b"content-encoding", b"gzip"),
            (b"content-length", str(len(gzipped)).encode()),
        ],
        unchanged=[*(h for h in kept if h[0] == b"surrogate-key"), *validators],
    )


def redated(entry: Entry, changed_at: datetime, *, other_bytes_at: datetime | None = None) -> Entry:
    """The same answer with another Last-Modified; `other_bytes_at`: when other bytes were
    given under a Last-Modified that may fall in the same second."""
    entry = assemble(
        kept=entry.kept,
        policy=entry.policy,
        body=entry.body,
        gzipped=entry.gzipped,
        etag=entry.etag,
        changed_at=changed_at,
        items=entry.items,
    )
    if other_bytes_at is not None:
        stamp = other_bytes_at.replace(microsecond=0)
        if stamp == changed_at.replace(microsecond=0):
            entry = replace(entry, ambiguous_at=stamp)
    return entry


class SharedRenderCache:
    """The render cache in Redis, behind each worker's own: a page rendered by one worker
    or host is served by all. Redis trouble skips it for a few seconds; never an error."""

    TTL_SECONDS = 3600
    RETRY_AFTER = 5.0

    def __init__(self, url: str) -> None:
        import redis.asyncio

        self._client = redis.asyncio.Redis.from_url(
            url, socket_timeout=0.25, socket_connect_timeout=0.25
        )
        self._down_until = 0.0

    async def get(self, key: str) -> Entry | None:
        if time.monotonic() < self._down_until:
            return None
        try:
            fields = await self._client.hgetall("byline:render:" + key)
        except Exception as exc:
            self._trouble(exc)
            return None
        if not fields:
            return None
        meta = json.loads(fields[b"meta"])
        return assemble(
            kept=[(k.encode("latin-1"), v.encode("latin-1")) for k, v in meta["kept"]],
            policy=[(k.encode("latin-1"), v.encode("latin-1")) for k, v in meta["policy"]],
            body=fields[b"body"],
            gzipped=fields.get(b"gzipped"),
            etag=meta["etag"].encode(),
            changed_at=datetime.fromisoformat(meta["changed_at"]),
            items=int(meta.get("items", 0)),
        )

    async def put(self, key: str, entry: Entry) -> None:
        if time.monotonic() < self._down_until:
            return
        meta = {
            "kept": [(k.decode("latin-1"), v.decode("latin-1")) for k, v in entry.kept],
            "policy": [(k.decode("latin-1"), v.decode("latin-1")) for k, v in entry.policy],
            "etag": entry.etag.decode(),
            "changed_at": entry.changed_at.isoformat(),
            "items": entry.items,
        }
        mapping: dict[str, Any] = {"meta": json.dumps(meta), "body": entry.body}
        if entry.gzipped is not None:
            mapping["gzipped"] = entry.gzipped
        name = "byline:render:" + key
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                pipe.hset(name, mapping=mapping)
                pipe.expire(name, self.TTL_SECONDS)
                await pipe.execute()
        except Exception as exc:
            self._trouble(exc)

    def _trouble(self, exc: Exception) -> None:
        log.warning("shared render cache unreachable, skipping it: %s", exc)
        self._down_until = time.monotonic() + self.RETRY_AFTER


# Media types the API negotiates through `Accept`; any other `Accept` gets JSON.
NEGOTIATED = (b"application/ninjs+json",)


def as_of(policy: Policy, state: State) -> State:
    """The state an answer is rendered at: for a short-lived answer (its route's `max_age`:
    it changes without a content write, so the generation cannot tell when it is stale),
    changed at the start of the current period at the latest, so its `Last-Modified` moves
    on with its key."""
    ttl = policy.max_age
    if ttl is None:
        return state
    period = datetime.fromtimestamp(time.time() // ttl * ttl, UTC)
    return replace(state, changed_at=max(state.changed_at, period))


def _origin(scope: Scope) -> str:
    """The address a request was made at, as its links would start (see `Request.base_url`)."""
    host = (header(scope, b"host") or b"").decode("latin-1")
    return f"{scope.get('scheme', 'http')}://{host}{scope.get('root_path', '')}"


def cache_key(scope: Scope, who: str, state: State, policy: Policy) -> str:
    query = scope["query_string"].decode("latin-1")
    accept = header(scope, b"accept") or b""
    representation = next((m.decode() for m in NEGOTIATED if m in accept), "")
    key = f"{state.generation}|{who}|{scope['path']}|{query}|{representation}"
    if not get_settings().public_url:
        key += f"|{_origin(scope)}"  # links in the answer are made from the asked address
    ttl = policy.max_age
    if ttl is not None:
        key += f"|{int(time.time() // ttl)}"  # the same period on every worker and host
    return key


def answer_messages(scope: Scope, entry: Entry, extra: Headers) -> tuple[Message, Message]:
    """The response to `scope` from a kept entry: 304 when the client's copy is current."""
    if not_modified(scope, entry):
        start = {"type": "http.response.start", "status": 304, "headers": entry.unchanged + extra}
        return start, {"type": "http.response.body", "body": b""}
    body, headers = entry.body, entry.plain
    if entry.zipped is not None and b"gzip" in (header(scope, b"accept-encoding") or b""):
        body, headers = entry.gzipped, entry.zipped  # type: ignore[assignment]
    start = {"type": "http.response.start", "status": 200, "headers": headers + extra}
    return start, {
        "type": "http.response.body",
        "body": b"" if scope["method"] == "HEAD" else body,
    }
