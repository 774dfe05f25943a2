"""Who is calling: API key -> principal (cached briefly), and the gates routes declare."""

import hashlib
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import parse_qs

import anyio.to_thread
from fastapi import Depends, Query, Request
from sqlmodel import Session

from app.apikeys import find_key
from app.config import get_settings
from app.db import get_engine, utcnow
from app.errors import ProblemError
from app.models import ApiKey, Scope
from app.policy import Gate, RouteOptions
from app.visibility import Viewer

READ_SCOPES = frozenset({Scope.content_read, Scope.content_preview, Scope.partner})


class Unauthorized(ProblemError):
    status = 401
    code = "unauthorized"
    title = "Unauthorized"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="byline"'})


class Forbidden(ProblemError):
    status = 403
    code = "forbidden"
    title = "Forbidden"


@dataclass(frozen=True)
class Principal:
    """An authenticated key, as every worker sees it for a few seconds after a lookup."""

    key_id: str
    name: str
    scopes: frozenset[str]
    sections: tuple[str, ...]
    tags: tuple[str, ...]
    advance_embargo: bool
    rate_limit: int | None
    expires_at: datetime | None

    @classmethod
    def of(cls, key: ApiKey) -> "Principal":
        return cls(
            key_id=key.id,
            name=key.name,
            scopes=frozenset(key.scopes),
            sections=tuple(key.sections),
            tags=tuple(key.tags),
            advance_embargo=key.advance_embargo,
            rate_limit=key.rate_limit,
            expires_at=key.expires_at,
        )

    @property
    def is_partner_only(self) -> bool:
        """A partner key without wider read scopes reads through the partner filter."""
        return Scope.partner in self.scopes and not (
            self.scopes & {Scope.content_read, Scope.content_preview}
        )


def presented_secret(scope: dict, *, query_key: bool = False) -> str | None:
    """The key in `Authorization: Bearer`, `X-API-Key`, or (where the route's policy takes
    it) `?api_key=`; None when the caller presents no credential at all.

    A credential that is there but cannot be a key (`Bearer` with nothing after it, another
    scheme such as `Basic`, a bare token, an empty `X-API-Key`) is a 401, never a quiet
    fall-back to anonymous reading.
    """
    for name, value in scope["headers"]:
        if name == b"authorization":
            kind, _, token = value.decode("latin-1").strip().partition(" ")
            if kind.lower() != "bearer":
                raise Unauthorized(
                    "Send the key as `Authorization: Bearer <key>` or `X-API-Key: <key>`."
                )
            if not token.strip():
                raise Unauthorized("The Authorization header names no key.")
            return token.strip()
        if name == b"x-api-key":
            if not value.strip():
                raise Unauthorized("The X-API-Key header is empty.")
            return value.decode("latin-1").strip()
    if query_key and b"api_key=" in scope["query_string"]:
        values = parse_qs(scope["query_string"].decode("latin-1"), keep_blank_values=True).get(
            "api_key"
        )
        if values:
            if not values[0].strip():
                raise Unauthorized("The api_key parameter is empty.")
            return values[0]
    return None


class KeyCache:
    """Lookups by secret hash, trusted for `key_cache_seconds`: a revoked key stops working
    on every worker within that time, and the warm path needs no database round trip."""

    MAX_ENTRIES = 10_000

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, Principal | None, bool]] = {}

    async def resolve(self, secret: str) -> tuple[Principal | None, bool]:
        """(principal, revoked): (None, False) for a secret no key has."""
        digest = hashlib.sha256(secret.encode()).hexdigest()
        cached = self._entries.get(digest)
        now = time.monotonic()
        if cached and cached[0] > now:
            return cached[1], cached[2]
        principal, revoked = await anyio.to_thread.run_sync(_lookup, secret)
        if len(self._entries) >= self.MAX_ENTRIES:
            self._entries.clear()
        self._entries[digest] = (now + get_settings().key_cache_seconds, principal, revoked)
        return principal, revoked


def _lookup(secret: str) -> tuple[Principal | None, bool]:
    with Session(get_engine(), expire_on_commit=False) as session:
        key = find_key(session, secret)
        if key is None:
            return None, False
        return Principal.of(key), key.revoked_at is not None


key_cache = KeyCache()


async def authenticate(scope: dict, *, query_key: bool = False) -> Principal | None:
    """The caller's principal; None when anonymous; Unauthorized for a bad key."""
    secret = presented_secret(scope, query_key=query_key)
    if secret is None:
        return None
    principal, revoked = await key_cache.resolve(secret)
    if principal is None:
        raise Unauthorized("The API key is not valid.")
    if revoked:
        raise Unauthorized("The API key has been revoked.")
    if principal.expires_at is not None and principal.expires_at <= utcnow():
        raise Unauthorized("The API key has expired.")
    return principal


QueryKey = RouteOptions(query_key=True)


def query_key(
    api_key: Annotated[
        str | None,
        Query(
            max_length=200,
            description="An API key, for feed readers that cannot send headers. "
            "It is read before routing and never appears in the feed.",
        ),
    ] = None,
    _: None = Depends(QueryKey),
) -> None:
    """Declares `api_key` on the routes that take it (the edge has already authenticated
    with it)."""


def principal_of(request: Request) -> Principal | None:
    return request.scope.get("state", {}).get("principal")


def viewer_of(principal: Principal | None) -> Viewer:
    """What `principal` may read (401 or 403 when nothing)."""
    if principal is None:
        if not get_settings().allow_anonymous_reads:
            raise Unauthorized("An API key is required.")
        return Viewer()
    if not principal.scopes & READ_SCOPES:
        raise Forbidden("This key may not read content: it needs content:read.")
    if Scope.content_preview in principal.scopes:
        return Viewer(preview=True)
    if principal.is_partner_only:
        return Viewer(
            partner=True,
            sections=principal.sections,
            tags=principal.tags,
            advance_embargo=principal.advance_embargo,
        )
    return Viewer()


def _read(principal: Principal | None, scope: Any) -> Viewer:
    return viewer_of(principal)


def _read_or_preview_link(principal: Principal | None, scope: Any) -> Viewer | None:
    """A read, or a preview link (`?preview=<token>`) that the route itself verifies:
    None then, and the answer is one caller's own."""
    if b"preview=" in scope["query_string"]:
        return None
    return viewer_of(principal)


def _requiring(scope_needed: Scope) -> Gate:
    def check(principal: Principal | None, scope: Any) -> Principal:
        if principal is None:
            raise Unauthorized("An API key is required.")
        if scope_needed not in principal.scopes:
            raise Forbidden(f"This key lacks the {scope_needed.value} scope.")
        return principal

    return Gate(scope_needed.value, check, kept=False)


# The gates. A route declares exactly one (directly or through a dependency such as
# `EditorDep`); `policy.PolicyTable` reads it, and the edge runs it before the render cache.
READ = Gate("read", _read, kept=True)
READ_OR_PREVIEW_LINK = Gate("read or preview link", _read_or_preview_link, kept=True)
ADMIN = _requiring(Scope.admin)
PREVIEW = _requiring(Scope.content_preview)
WRITE = _requiring(Scope.content_write)

Reader = Annotated[Viewer, Depends(READ)]
Admin = Annotated[Principal, Depends(ADMIN)]
Previewer = Annotated[Principal, Depends(PREVIEW)]
Writer = Annotated[Principal, Depends(WRITE)]
