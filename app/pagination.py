"""Keyset pagination shared by every list: orderings, opaque cursors, the list envelope."""

import base64
import binascii
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import orjson
from fastapi import Depends, Query, Request
from sqlalchemy import Float, Integer, Select, func, literal, select, text, tuple_

from app import lastmod
from app.config import get_settings
from app.contract import conform
from app.db import UTCDateTime
from app.errors import CountTooLarge, InvalidParameter
from app.etags import etag
from app.responses import JSONResponse
from app.served import count_served

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


@dataclass(frozen=True)
class SortKey:
    column: Any
    descending: bool = True
    # The attribute of a row's entity that holds the key, when the ordering sorts on
    # another table's copy of it (a link table's `article_id` for the article's `id`).
    attribute: str | None = None

    @property
    def name(self) -> str:
        return self.attribute or self.column.key


@dataclass(frozen=True)
class Ordering:
    """A total order over a list: its last key is unique, so ties never reorder pages."""

    name: str
    keys: tuple[SortKey, ...]

    def order_by(self) -> list[Any]:
        return [k.column.desc() if k.descending else k.column.asc() for k in self.keys]

    def apply(self, stmt: Select[Any], cursor: list[Any] | None) -> Select[Any]:
        """Order `stmt` and, given a cursor, start strictly after the row it names."""
        if cursor is not None:
            stmt = stmt.where(self.after(cursor))
        return stmt.order_by(*self.order_by())

    def after(self, values: Sequence[Any], *, inclusive: bool = False) -> Any:
        """SQL condition: the rows this ordering puts after the one with these key values
        (or at it too, `inclusive`)."""
        columns = tuple_(*(k.column for k in self.keys))
        # Bind each value with its column's type, so that times compare as stored.
        pairs = zip(self.keys, values, strict=True)
        bound = tuple_(*(literal(v, k.column.type) for k, v in pairs))
        # Every ordering runs in one direction, so a row-value comparison is exact and
        # lets both databases walk the matching index.
        if self.keys[0].descending:
            return columns <= bound if inclusive else columns < bound
        return columns >= bound if inclusive else columns > bound


def encode_cursor(ordering: Ordering, values: Sequence[Any]) -> str:
    payload = [ordering.name, *(v.isoformat() if isinstance(v, datetime) else v for v in values)]
    return base64.urlsafe_b64encode(orjson.dumps(payload)).rstrip(b"=").decode()


def decode_cursor(ordering: Ordering, cursor: str) -> list[Any]:
    """The key values a cursor carries; a 400 for anything this ordering did not make."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = orjson.loads(raw)
    except (binascii.Error, ValueError):
        raise InvalidParameter("cursor", "not a cursor this API issued") from None
    if (
        not isinstance(payload, list)
        or len(payload) != len(ordering.keys) + 1
        or payload[0] != ordering.name
    ):
        raise InvalidParameter("cursor", "not a cursor for this list and order")
    values: list[Any] = []
    for key, value in zip(ordering.keys, payload[1:], strict=True):
        try:
            values.append(_cursor_value(key.column.type, value))
        except (TypeError, ValueError):
            raise InvalidParameter("cursor", "not a cursor this API issued") from None
    return values


def cursor_order(cursor: str) -> str | None:
    """The name of the ordering a cursor says it continues, or None if it is unreadable
    (`decode_cursor` then says why)."""
    try:
        payload = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        return None
    if isinstance(payload, list) and payload and isinstance(payload[0], str):
        return payload[0]
    return None


def _cursor_value(column_type: Any, value: Any) -> Any:
    """A cursor value as the Python type of its column, or TypeError/ValueError."""
    if isinstance(column_type, UTCDateTime):
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError("naive time in cursor")
        return parsed
    if isinstance(column_type, Float):
        # A relevance score: JSON keeps a double exactly.
        if type(value) not in (int, float):
            raise TypeError("wrong type in cursor")
        return float(value)
    expected = int if isinstance(column_type, Integer) else str
    if type(value) is not expected:
        raise TypeError("wrong type in cursor")
    return value


@dataclass(frozen=True)
class PageParams:
    limit: int
    cursor: str | None
    count: Literal["exact", "estimate"] | None


def _page_params(
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="Items per page, 1 to 100.")
    ] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None, Query(max_length=512, description="`meta.next_cursor` of the previous page.")
    ] = None,
    count: Annotated[
        Literal["exact", "estimate"] | None,
        Query(
            description="Fill `meta.total`: `exact` (up to 20,000; a longer list is a 400 "
            "`count-too-large`), or `estimate` (cheap at any size)."
        ),
    ] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor, count=count)


PageDep = Annotated[PageParams, Depends(_page_params)]


@dataclass
class Page:
    """One page of rows from a service, with what the envelope needs."""

    items: list[Any]
    next_values: list[Any] | None
    ordering: Ordering
    total: int | None = None


def fetch_page(
    session: Any,
    stmt: Select[Any],
    ordering: Ordering,
    params: PageParams,
    *,
    rows: bool = False,
    score: Any = None,
) -> Page:
    """Run `stmt` for one page: ordered, after the cursor, one row more to see if more follow.

    Items are the first entity of each row, or whole rows with `rows=True`; the ordering's
    keys are read from the first entity, except `score`: a computed column (a search's
    relevance) that the query selects beside it and the ordering may sort on.
    """
    cursor = decode_cursor(ordering, params.cursor) if params.cursor else None
    if score is not None:
        stmt = stmt.add_columns(score)
    limited = ordering.apply(stmt, cursor).limit(params.limit + 1)
    whole = rows or score is not None
    found = list(session.execute(limited)) if whole else list(session.scalars(limited))
    more = len(found) > params.limit
    found = found[: params.limit]
    next_values = None
    if more and found:
        last = found[-1]
        entity = last[0] if whole else last
        next_values = [
            last[-1] if score is not None and k.column is score else getattr(entity, k.name)
            for k in ordering.keys
        ]
    if score is not None and not rows:
        found = [row[0] for row in found]
    return Page(items=found, next_values=next_values, ordering=ordering)


def paginate(
    session: Any,
    stmt: Select[Any],
    ordering: Ordering,
    params: PageParams,
    *,
    rows: bool = False,
    score: Any = None,
) -> Page:
    """One page of `stmt` and, when the client asked with `count=`, the total."""
    page = fetch_page(session, stmt, ordering, params, rows=rows, score=score)
    if params.count:
        page.total = count_rows(session, stmt, params.count, ordering=ordering)
    return page


def _base_url(request: Request) -> str:
    public = get_settings().public_url
    return public.rstrip("/") if public else str(request.base_url).rstrip("/")


def absolute_url(request: Request, path: str) -> str:
    return _base_url(request) + path


def _surrogate(keys: Iterable[str]) -> dict[str, str]:
    return {"Surrogate-Key": " ".join(sorted(set(keys)))} if keys else {}


def written_response(
    request: Request,
    data: dict[str, Any],
    *,
    keys: Iterable[str],
    status: int = 200,
    location: str | None = None,
) -> JSONResponse:
    """The answer to a write: the object as a read shows it (with its ETag), kept by no
    cache; a 201 says in `Location` where it is read."""
    headers = {"Cache-Control": "private, no-store"}
    if location is not None:
        headers["Location"] = location
    response = item_response(request, data, keys=keys, headers=headers)
    response.status_code = status
    return response


def item_response(
    request: Request,
    data: dict[str, Any],
    *,
    keys: Iterable[str] = (),
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """The single-object envelope with its `Surrogate-Key`s; counts one item served.

    An object with a `version` gets an ETag that `If-Match` on a write can name. `data`
    goes out as the route's response model shapes it (`contract.conform`).
    """
    count_served(request.scope, 1)
    data = conform(request, data)
    response = JSONResponse({"data": data}, headers={**_surrogate(keys), **(headers or {})})
    if isinstance(data.get("version"), int):
        response.headers["ETag"] = etag(data["version"], bytes(response.body))
    return response


def list_response(
    request: Request, page: Page, data: list[Any], limit: int, *, keys: Iterable[str] = ()
) -> JSONResponse:
    """The list envelope, with `links.next`, an RFC 8288 `Link` header and `Surrogate-Key`s
    (the list's own, such as `articles`, and one per object in it). `data` goes out as the
    route's response model shapes it (`contract.conform`)."""
    next_cursor = encode_cursor(page.ordering, page.next_values) if page.next_values else None
    meta: dict[str, Any] = {"next_cursor": next_cursor, "limit": limit}
    if page.total is not None:
        meta["total"] = page.total
        lastmod.undated()  # a total moves with rows this page does not show
    return envelope(request, data, meta=meta, headers=_surrogate(keys))


def envelope(
    request: Request,
    data: list[Any],
    *,
    meta: dict[str, Any],
    headers: dict[str, str] | None = None,
    more: bool | None = None,
) -> JSONResponse:
    """The one list envelope, `{"data", "meta", "links"}`: `data` as the route's response
    model shapes it, `links.next` and an RFC 8288 `Link` header while `more` follows (by
    default: while `meta` has a `next_cursor`); counts the items served. Every list
    answers through it."""
    count_served(request.scope, len(data))
    data = conform(request, data)
    headers = dict(headers or {})
    next_url = None
    if (bool(meta.get("next_cursor")) if more is None else more) and meta.get("next_cursor"):
        params = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
        params.append(("cursor", meta["next_cursor"]))
        next_url = f"{absolute_url(request, request.url.path)}?{urlencode(params)}"
        headers["Link"] = f'<{next_url}>; rel="next"'
    body = {"data": data, "meta": meta, "links": {"next": next_url}}
    return JSONResponse(body, headers=headers)


# `count=exact` counts row by row up to this many, and refuses a longer list. A row of a
# filtered list costs about 4 µs to count on PostgreSQL (its story read for visibility), so
# the answer, or the refusal, stays within 200 ms (docs/performance.md, a million stories).
COUNT_LIMIT = 20_000
# `count=estimate` is exact up to this many, then the planner's estimate.
ESTIMATE_EXACT_UP_TO = 200


def count_rows(
    session: Any,
    stmt: Select[Any],
    mode: Literal["exact", "estimate"],
    *,
    ordering: Ordering | None = None,
) -> int:
    """`meta.total` of the list `stmt` selects.

    `exact`: the number of rows, when at most COUNT_LIMIT; above that CountTooLarge (a
    400 telling the client to ask for the estimate), so that no request counts a million
    rows. `estimate` on PostgreSQL: exact up to ESTIMATE_EXACT_UP_TO rows, else the
    planner's estimate, never less than that (a planner may guess a handful for
    thousands); SQLite has no planner estimate, and counts: an embedded database is
    small enough.

    Given the list's `ordering`, the estimate's short count walks the index the list's
    pages walk (a plan that finds its first rows at once), not a scan of the whole table;
    the exact count leaves the plan to the database.
    """
    rows = stmt.order_by(None).with_only_columns(literal(1), maintain_column_froms=True)
    postgresql = session.get_bind().dialect.name == "postgresql"
    if mode == "exact":
        found = _count_up_to(session, rows, COUNT_LIMIT)
        if found > COUNT_LIMIT:
            raise CountTooLarge(COUNT_LIMIT)
        return found
    if not postgresql:
        return int(session.scalar(select(func.count()).select_from(rows.subquery())))
    first = rows.order_by(*ordering.order_by()) if ordering is not None else rows
    found = _count_up_to(session, first, ESTIMATE_EXACT_UP_TO)
    if found <= ESTIMATE_EXACT_UP_TO:
        return found
    return max(planner_rows(session, rows), ESTIMATE_EXACT_UP_TO + 1)


def planner_rows(session: Any, stmt: Select[Any]) -> int:
    """How many rows PostgreSQL's planner expects `stmt` to select (no rows are read)."""
    compiled = stmt.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
    plan = session.execute(text(f"EXPLAIN (FORMAT JSON) {compiled}")).scalar_one()
    return int(plan[0]["Plan"]["Plan Rows"])


def _count_up_to(session: Any, rows: Select[Any], limit: int) -> int:
    """How many rows `rows` selects, counting no further than `limit + 1`."""
    return int(session.scalar(select(func.count()).select_from(rows.limit(limit + 1).subquery())))
