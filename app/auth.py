"""Who is calling: API key -> principal (cached briefly), and the scope dependencies."""

import hashlib
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import anyio.to_thread
from fastapi import Depends, Query, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from app.config import get_settings
from app.db import get_engine, utcnow
from app.errors import ProblemError
from app.models import ApiKey, Scope
from app.visibility import Viewer

READ_SCOPES = frozenset({Scope.content_read, Scope.content_preview, Scope.partner})
# Feed readers and browsers' EventSource cannot set headers: feed URLs and the live stream
# (and only they) take `?api_key=`.
QUERY_KEY_PATHS = ("/v1/feeds/", "/v1/feed/stream")


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


def presented_secret(scope: dict) -> str | None:
    """The key in `Authorization: Bearer`, `X-API-Key`, or `?api_key=` on feed URLs."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            kind, _, token = value.decode("latin-1").partition(" ")
            if kind.lower() == "bearer" and token.strip():
                return token.strip()
        elif name == b"x-api-key" and value.strip():
            return value.decode("latin-1").strip()
    if scope["path"].startswith(QUERY_KEY_PATHS) and b"api_key=" in scope["query_string"]:
        from urllib.parse import parse_qs

        values = parse_qs(scope["query_string"].decode("latin-1")).get("api_key")
        if values:
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
    from app.keys.service import find_key

    with Session(get_engine(), expire_on_commit=False) as session:
        key = find_key(session, secret)
        if key is None:
            return None, False
        return Principal.of(key), key.revoked_at is not None


key_cache = KeyCache()


async def authenticate(scope: dict) -> Principal | None:
    """The caller's principal; None when anonymous; Unauthorized for a bad key."""
    secret = presented_secret(scope)
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


def query_key(
    api_key: Annotated[
        str | None,
        Query(
            max_length=200,
            description="An API key, for feed readers that cannot send headers. "
            "It is read before routing and never appears in the feed.",
        ),
    ] = None,
) -> None:
    """Declares `api_key` where QUERY_KEY_PATHS take it (the edge has already
    authenticated with it)."""


def principal_of(request: Request) -> Principal | None:
    return request.scope.get("state", {}).get("principal")


# Declared for the OpenAPI document (and the docs' Authorize button); the access middleware
# has already read the key by the time a route runs.
_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer <key>`")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="The key itself.")
BearerDoc = Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)]
KeyDoc = Annotated[str | None, Security(_api_key)]


def reader(request: Request, _b: BearerDoc = None, _k: KeyDoc = None) -> Viewer:
    """The viewer for a read: anonymous (if allowed), a reading key, or a partner."""
    return viewer_of(principal_of(request))


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


def require(scope: Scope) -> Any:
    def dependency(request: Request, _b: BearerDoc = None, _k: KeyDoc = None) -> Principal:
        principal = principal_of(request)
        if principal is None:
            raise Unauthorized("An API key is required.")
        if scope not in principal.scopes:
            raise Forbidden(f"This key lacks the {scope.value} scope.")
        return principal

    return Depends(dependency)


Reader = Annotated[Viewer, Depends(reader)]
Admin = Annotated[Principal, require(Scope.admin)]
Previewer = Annotated[Principal, require(Scope.content_preview)]
Writer = Annotated[Principal, require(Scope.content_write)]
