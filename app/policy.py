"""Route policy: who may call a route, whether its answer may be kept, what it accepts.

A route declares its policy where it is written: its gate dependency (`Reader`, `Writer`,
`Admin`, ... in `auth.py`) says who may call it, and a `RouteOptions` marker among its
dependencies says anything else (an answer never kept, one kept only briefly, a multipart
upload, `?api_key=`). At start-up the edge reads every route into a `PolicyTable`, and that
table is what the edge's authentication, the gate run before the render cache, the cache
itself, the body limits and the metrics consult. So a kept answer is served only after the
very check the route would have made, and no layer keeps a list of paths of its own.
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Request, Security
from fastapi.routing import iter_route_contexts
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.routing import Match
from starlette.types import Scope

# Declared for the OpenAPI document (and the docs' Authorize button): the edge has read the
# key before any route runs.
_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer <key>`")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="The key itself.")
BearerDoc = Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)]
KeyDoc = Annotated[str | None, Security(_api_key)]


class Gate:
    """Who may call a route: a FastAPI dependency that returns what the route needs (a
    viewer, a principal), and the same check run by the edge before any kept answer.

    `check(principal, scope)` raises the route's 401 or 403; `kept` says whether a GET it
    admits may be answered from the render cache (for the audience `cache.audience` names).
    """

    def __init__(self, name: str, check: Callable[[Any, Scope], Any], *, kept: bool) -> None:
        self.name = name
        self.check = check
        self.kept = kept

    def __call__(self, request: Request, _b: BearerDoc = None, _k: KeyDoc = None) -> Any:
        return self.check(request.scope.get("state", {}).get("principal"), request.scope)

    def __repr__(self) -> str:
        return f"Gate({self.name})"


@dataclass(frozen=True)
class RouteOptions:
    """What a route says of itself beyond its gate. Used as `Depends(RouteOptions(...))`.

    - `kept=False`: never answered from the render cache (a stream, an answer per caller);
    - `max_age`: an answer that changes without a content write (view counts, a time
      window) is rendered afresh every so many seconds and kept downstream no longer;
    - `upload`: takes `multipart/form-data`, up to the upload size limit;
    - `query_key`: takes the key as `?api_key=` (feed readers and EventSource cannot set
      headers);
    - `resource`: the metrics label, when not the path's first segment.
    """

    kept: bool = True
    max_age: int | None = None
    upload: bool = False
    query_key: bool = False
    resource: str | None = None

    def __call__(self) -> None:
        """A marker: declares, does nothing at request time."""


@dataclass(frozen=True)
class Policy:
    """One route's policy, as every layer reads it."""

    gate: Gate
    path: str  # the route's template, e.g. /v1/articles/{ref}
    methods: frozenset[str]
    kept: bool
    max_age: int | None
    upload: bool
    query_key: bool
    resource: str

    def keeps(self, scope: Scope) -> bool:
        """May the render cache answer this request (a GET its gate admitted)?"""
        return self.kept and scope["method"] in ("GET", "HEAD")


def _dependency_calls(route: Any) -> Iterator[Any]:
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        if dependant.call is not None:
            yield dependant.call
        stack.extend(dependant.dependencies)


def policy_of(route: Any) -> Policy | None:
    """The policy a route declares; None for a route without a gate (operations, docs).

    `route` is a FastAPI route (or the route context of an included router)."""
    if getattr(route, "dependant", None) is None:
        return None
    calls = list(_dependency_calls(route))
    gates = {id(c): c for c in calls if isinstance(c, Gate)}
    if not gates:
        return None
    if len(gates) > 1:
        names = ", ".join(sorted(g.name for g in gates.values()))
        raise RuntimeError(f"{route.path} declares more than one gate: {names}")
    gate = next(iter(gates.values()))
    options = [c for c in calls if isinstance(c, RouteOptions)]
    merged = RouteOptions(
        kept=all(o.kept for o in options),
        max_age=next((o.max_age for o in options if o.max_age is not None), None),
        upload=any(o.upload for o in options),
        query_key=any(o.query_key for o in options),
        resource=next((o.resource for o in options if o.resource), None),
    )
    segments = route.path.strip("/").split("/")
    return Policy(
        gate=gate,
        path=route.path,
        methods=frozenset(route.methods or ()),
        kept=gate.kept and merged.kept,
        max_age=merged.max_age,
        upload=merged.upload,
        query_key=merged.query_key,
        resource=merged.resource or (segments[1] if len(segments) > 1 else segments[0]),
    )


class PolicyTable:
    """Every gated route's policy, found for a request the way the router will find it."""

    MAX_REMEMBERED = 10_000

    def __init__(self, routes: Iterable[Any]) -> None:
        self.entries: list[tuple[Any, Policy]] = []
        # Every route that answers by method (gated or not), for `Allow`.
        self.methods: list[tuple[Any, frozenset[str]]] = []
        for route in iter_route_contexts(list(routes)):
            if getattr(route, "methods", None):
                self.methods.append((route, frozenset(route.methods)))
            if (policy := policy_of(route)) is not None:
                self.entries.append((route, policy))
        # The leading segments of gated paths (`/v1`): requests there are guarded even
        # when no route matches them, so a 404 costs what a read costs.
        self.prefixes = tuple(
            {"/" + policy.path.strip("/").split("/")[0] + "/" for _, policy in self.entries}
        )
        self._remembered: dict[tuple[str, str], Policy | None] = {}
        self._allowed: dict[str, frozenset[str]] = {}

    def guards(self, path: str) -> bool:
        return path.startswith(self.prefixes)

    def match(self, scope: Scope) -> Policy | None:
        """The policy of the route that will answer `scope`; None when none will (404/405).

        A HEAD is matched as the GET it stands for."""
        method = "GET" if scope["method"] == "HEAD" else scope["method"]
        key = (method, scope["path"])
        if key in self._remembered:
            return self._remembered[key]
        probe = {**scope, "method": method}
        found = None
        for route, policy in self.entries:
            if route.matches(probe)[0] is Match.FULL:
                found = policy
                break
        if len(self._remembered) >= self.MAX_REMEMBERED:
            self._remembered.clear()
        self._remembered[key] = found
        return found

    def allowed(self, scope: Scope) -> frozenset[str]:
        """Every method some route takes at this path (HEAD wherever GET is, and OPTIONS),
        for `Allow`; empty when no route has this path (404)."""
        path = scope["path"]
        if path in self._allowed:
            return self._allowed[path]
        probe = {**scope, "method": "GET"}
        # The path as the document names it: the first template that matches it, in the
        # router's order (`/v1/feed/stream` is the stream, not an entry called "stream").
        template = next(
            (r.path for r, _ in self.methods if r.matches(probe)[0] is not Match.NONE), None
        )
        methods: set[str] = set()
        for route, taken in self.methods:
            if route.path == template:
                methods |= taken
        if methods:
            methods |= {"OPTIONS", *(("HEAD",) if "GET" in methods else ())}
        if len(self._allowed) >= self.MAX_REMEMBERED:
            self._allowed.clear()
        self._allowed[path] = frozenset(methods)
        return self._allowed[path]


# The order `Allow` lists methods in.
METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allow_header(methods: frozenset[str]) -> bytes:
    def rank(method: str) -> tuple[int, str]:
        known = method in METHOD_ORDER
        return (METHOD_ORDER.index(method) if known else len(METHOD_ORDER), method)

    return ", ".join(sorted(methods, key=rank)).encode()
