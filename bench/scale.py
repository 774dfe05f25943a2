"""The scale benchmark: a big archive on PostgreSQL, read and written through `byline serve`
(two workers), every case timed request by request and held against the goals of issue 19.

Environment: BENCH_DATABASE_URL (required: an empty PostgreSQL database, or one an earlier
run filled), BENCH_ARTICLES (1000000; generation is skipped when the database holds that
many), BENCH_CASE_SECONDS (10) and BENCH_CASE_REQUESTS (200): each case stops at whichever
comes first, BENCH_WALK_SECONDS (120, per list, to reach the deep cursors), BENCH_OUTPUT
(data/bench/scale.json; a copy is kept as data/bench/scale-<articles>.json), and for the
side-by-side column BENCH_COMPARE_ARTICLES (for example 10000) with
BENCH_COMPARE_DATABASE_URL (measured in the same run) or, without it, the JSON an earlier run
at that size kept.
"""

import asyncio
import json
import os
import platform
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, create_engine, event, make_url, text

from bench.run import UNLIMITED, WORKERS, server

ARTICLES = int(os.environ.get("BENCH_ARTICLES", "1000000"))
CASE_SECONDS = float(os.environ.get("BENCH_CASE_SECONDS", "10"))
CASE_REQUESTS = int(os.environ.get("BENCH_CASE_REQUESTS", "200"))
WALK_SECONDS = float(os.environ.get("BENCH_WALK_SECONDS", "120"))
OUTPUT = Path(os.environ.get("BENCH_OUTPUT", "data/bench/scale.json"))
COMPARE_ARTICLES = int(os.environ.get("BENCH_COMPARE_ARTICLES", "0"))
WRITES = int(os.environ.get("BENCH_WRITES", "100"))
# Which groups of cases run (comma-separated): lists, search, sync, feeds, writes; all if unset.
GROUPS = ("lists", "search", "sync", "feeds", "writes")
CASES = [g.strip() for g in os.environ.get("BENCH_CASES", ",".join(GROUPS)).split(",") if g.strip()]
PAGE = 20
DEPTHS = (400, 4000)
# A bound later than any story, moved a second per request: the same stories, a new URL
# (the render cache keys on the query string), so every request reads the database.
FAR = datetime(2099, 1, 1, tzinfo=UTC)
# An exclusion of a word no story has: a new search each time with the same matches.
NO_WORD = "qqz"


def say(text_: str) -> None:
    print(text_, file=sys.stderr, flush=True)


def sqlalchemy_url(raw: str) -> str:
    url = make_url(raw)
    if url.get_backend_name() != "postgresql":
        sys.exit("BENCH_DATABASE_URL must name a PostgreSQL database")
    return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- the archive ------------------------------------------------------------------------------


def prepare(url: str, articles: int) -> dict[str, Any]:
    """Migrate, then generate up to `articles` stories unless the database holds them."""
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "warning"}
    byline = [sys.executable, "-m", "app.cli"]
    subprocess.run([*byline, "migrate"], env=env, check=True, capture_output=True)
    engine = create_engine(url)
    with engine.connect() as conn:
        held = conn.scalar(text("SELECT count(*) FROM article")) or 0
    engine.dispose()
    if held >= articles:
        say(f"the database holds {held:,} articles (>= {articles:,}): not generating")
        return {"generated": 0, "seconds": None, "held": held}
    missing = articles - held - (0 if held else 1)  # `byline demo` adds the reference page
    say(f"generating {missing:,} articles (COPY), {held:,} there")
    started = time.monotonic()
    subprocess.run(
        [*byline, "demo", "--articles", str(missing)], env=env, check=True, stdout=sys.stderr
    )
    seconds = time.monotonic() - started
    say(f"  {seconds:.0f} s ({missing / seconds:,.0f} articles/s)")
    return {"generated": missing, "seconds": round(seconds, 1), "held": held}


@dataclass
class Subjects:
    """What the lists are filtered by: the biggest section, tag and author, and a month."""

    section: str
    tag: str
    author: str
    after: str
    before: str
    words: dict[str, str]
    phrase: str
    recent: datetime


def subjects(engine: Engine) -> Subjects:
    with engine.connect() as conn:
        section = conn.execute(
            text(
                "SELECT s.slug FROM article a JOIN section s ON s.id = a.section_id "
                "GROUP BY s.slug ORDER BY count(*) DESC LIMIT 1"
            )
        ).scalar_one()
        tag = conn.execute(
            text(
                "SELECT t.slug FROM article_tag x JOIN tag t ON t.id = x.tag_id "
                "GROUP BY t.slug ORDER BY count(*) DESC LIMIT 1"
            )
        ).scalar_one()
        author = conn.execute(
            text(
                "SELECT au.slug FROM article_author x JOIN author au ON au.id = x.author_id "
                "WHERE au.kind = 'person' GROUP BY au.slug ORDER BY count(*) DESC LIMIT 1"
            )
        ).scalar_one()
        newest = conn.execute(
            text("SELECT max(published_at) FROM article WHERE status = 'published'")
        ).scalar_one()
        # Document frequencies in a sample: the rarest, a common and the most common words.
        rows = conn.execute(
            text(
                "SELECT word, ndoc FROM ts_stat($$SELECT search_vector FROM article "
                "TABLESAMPLE SYSTEM (2) REPEATABLE (1)$$) "
                "WHERE word ~ '^[a-z]{4,}$' ORDER BY ndoc DESC"
            )
        ).all()
        headline = conn.execute(
            text(
                "SELECT headline FROM article WHERE language = 'en' AND status = 'published' "
                "ORDER BY published_at DESC LIMIT 1"
            )
        ).scalar_one()
    top = rows[0][1]
    common = next(word for word, n in rows if n <= top * 0.05)
    rare = next(word for word, n in reversed(rows) if n >= 3)
    words = [w.strip(",.:;!?'\"").lower() for w in headline.split()]
    words = [w for w in words if w.isalpha()]
    phrase = " ".join(words[:2]) if len(words) >= 2 else "air defence"
    month_end = newest - timedelta(days=120)
    return Subjects(
        section=section,
        tag=tag,
        author=author,
        after=iso(month_end - timedelta(days=30)),
        before=iso(month_end),
        words={"rare": rare, "common": common, "very common": rows[0][0], "second": rows[1][0]},
        phrase=phrase,
        recent=newest - timedelta(hours=6),
    )


# -- timing -----------------------------------------------------------------------------------


@dataclass
class Case:
    name: str
    kind: str
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    slowest: tuple[float, str] = (0.0, "")
    note: str = ""
    misses: int | None = None  # render-cache misses while it ran

    def record(self, url: str, seconds: float, status: int) -> None:
        self.latencies.append(seconds)
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if seconds > self.slowest[0]:
            self.slowest = (seconds, url)

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return 0.0
        return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] * 1000

    def row(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "requests": len(self.latencies),
            "p50_ms": round(self.percentile(50), 2),
            "p99_ms": round(self.percentile(99), 2),
            "max_ms": round(max(self.latencies, default=0) * 1000, 2),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "render_cache_misses": self.misses,
            "slowest_url": self.slowest[1],
            "note": self.note,
        }


def run_case(
    client: httpx.Client,
    name: str,
    kind: str,
    urls: Callable[[int], str],
    *,
    warm: bool = False,
    requests: int = CASE_REQUESTS,
) -> Case:
    """GET `urls(i)` one after another until `requests` or CASE_SECONDS; with `warm`, the
    first answer (which fills the cache) is not counted."""
    case = Case(name, kind)
    if warm:
        client.get(urls(0))
    misses = render_misses(client)
    deadline = time.monotonic() + CASE_SECONDS
    for i in range(requests):
        if time.monotonic() > deadline:
            break
        url = urls(i)
        started = time.perf_counter()
        response = client.get(url)
        case.record(url, time.perf_counter() - started, response.status_code)
    case.misses = int(render_misses(client) - misses)
    say(f"  {name}: p50 {case.percentile(50):.1f} ms, p99 {case.percentile(99):.1f} ms")
    return case


def walk(
    client: httpx.Client, params: dict[str, str], depths: tuple[int, ...]
) -> tuple[dict[int, str], str]:
    """The cursors that start pages `depths` (of 20) of a list, walked 100 at a time (ids
    only) within WALK_SECONDS, and why a deeper one is missing: the list ends first, or the
    time ran out."""
    found: dict[int, str] = {}
    cursor: str | None = None
    seen = 0
    deadline = time.monotonic() + WALK_SECONDS
    for depth in depths:
        target = (depth - 1) * PAGE
        while seen < target and time.monotonic() < deadline:
            step = min(100, target - seen)
            query = {**params, "limit": str(step), "fields": "id"}
            if cursor:
                query["cursor"] = cursor
            meta = client.get("/v1/articles", params=query).json()["meta"]
            cursor = meta.get("next_cursor")
            if not cursor:
                return found, f"the list ends within {seen + step:,} stories"
            seen += step
        if seen < target:
            return found, f"the walk stopped at {seen:,} stories after {WALK_SECONDS:.0f} s"
        if cursor:
            found[depth] = cursor
    return found, ""


def render_misses(client: httpx.Client) -> float:
    text_ = client.get("/metrics").text
    for line in text_.splitlines():
        if line.startswith('byline_render_cache_total{result="miss"}'):
            return float(line.split()[-1])
    return 0.0


# -- the cases --------------------------------------------------------------------------------


def list_cases(client: httpx.Client, s: Subjects) -> list[Case]:
    filters: dict[str, dict[str, str]] = {
        "newest": {},
        "section": {"section": s.section},
        "tag": {"tag": s.tag},
        "author": {"author": s.author},
        "date range": {"published_after": s.after, "published_before": s.before},
    }
    cases: list[Case] = []
    for label, params in filters.items():
        say(f"list {label}: walking to the deep cursors")
        deep, missing = walk(client, params, DEPTHS)
        cursors = {1: None, **deep}
        for depth in (1, *DEPTHS):
            where = "first page" if depth == 1 else f"page {depth:,}"
            if depth not in cursors:
                case = Case(f"list {label}, {where}, uncached", "list")
                case.note = missing
                cases.append(case)
                continue
            base = dict(params)
            if cursors[depth]:
                base["cursor"] = cursors[depth]  # type: ignore[assignment]
            bound = s.before if label == "date range" else None

            def fresh(i: int, base: dict[str, str] = base, bound: str | None = bound) -> str:
                end = datetime.fromisoformat(bound) if bound else FAR
                query = {**base, "published_before": iso(end - timedelta(seconds=i))}
                return str(httpx.URL("/v1/articles", params=query))

            cases.append(run_case(client, f"list {label}, {where}, uncached", "list", fresh))
            same = str(httpx.URL("/v1/articles", params=base))
            cases.append(
                run_case(
                    client,
                    f"list {label}, {where}, warm",
                    "warm",
                    lambda i, same=same: same,  # type: ignore[misc]
                    warm=True,
                )
            )
        for how in ("exact", "estimate"):

            def counted(i: int, params: dict[str, str] = params, how: str = how) -> str:
                end = datetime.fromisoformat(s.before) if "published_before" in params else FAR
                query = {
                    **params,
                    "count": how,
                    "limit": "1",
                    "published_before": iso(end - timedelta(seconds=i)),
                }
                return str(httpx.URL("/v1/articles", params=query))

            kind = "count exact" if how == "exact" else "count estimate"
            cases.append(
                run_case(
                    client, f"count={how}, {label}", kind, counted, requests=CASE_REQUESTS // 4
                )
            )
    return cases


def search_cases(client: httpx.Client, s: Subjects) -> list[Case]:
    w = s.words
    # Names say what kind of query each is, not its words (which depend on the archive):
    # the same case at another size is found by name.
    queries = {
        "search rare word": ("search", w["rare"]),
        "search common word": ("search", w["common"]),
        "search very common word": ("search common", w["very common"]),
        "search phrase": ("search other", f'"{s.phrase}"'),
        "search boolean (common AND very common)": (
            "search other",
            f"{w['common']} AND {w['very common']}",
        ),
        "search boolean (common OR rare)": ("search other", f"{w['common']} OR {w['rare']}"),
        "search boolean (very common NOT another)": (
            "search other",
            f"{w['very common']} NOT {w['second']}",
        ),
    }
    cases = []
    for name, (kind, q) in queries.items():

        def fresh(i: int, q: str = q) -> str:
            return str(httpx.URL("/v1/articles", params={"q": f"{q} -{NO_WORD}{i}"}))

        case = run_case(client, name + ", uncached", kind, fresh, requests=CASE_REQUESTS // 2)
        case.note = f"q={q}"
        cases.append(case)
    return cases


def sync_cases(client: httpx.Client, s: Subjects) -> list[Case]:
    from app.sync.service import encode

    case = Case("sync from the beginning (pages of 100)", "sync")
    cursor: str | None = None
    deadline = time.monotonic() + CASE_SECONDS
    while time.monotonic() < deadline:
        params = {"limit": "100", **({"cursor": cursor} if cursor else {})}
        url = str(httpx.URL("/v1/sync", params=params))
        started = time.perf_counter()
        response = client.get(url)
        case.record(url, time.perf_counter() - started, response.status_code)
        meta = response.json()["meta"]
        cursor = meta["next_cursor"]
        if not meta["has_more"]:
            break
    spent = sum(case.latencies)
    case.note = f"{len(case.latencies) / spent:.1f} pages/s" if spent else ""
    say(f"  {case.name}: {case.note}")
    # A position in the log six hours before the newest story: the next pages a client that
    # synced this morning asks for.
    recent = encode((s.recent, "", ""))

    def fresh(i: int) -> str:
        return str(httpx.URL("/v1/sync", params={"cursor": recent, "limit": str(100 - i % 100)}))

    return [case, run_case(client, "sync from a recent cursor", "sync", fresh)]


def feed_cases(client: httpx.Client, s: Subjects, engine: Engine) -> list[Case]:
    with engine.connect() as conn:
        sections = list(conn.scalars(text("SELECT slug FROM section ORDER BY slug")))
        tags = list(conn.scalars(text("SELECT slug FROM tag ORDER BY slug")))
        authors = list(conn.scalars(text("SELECT slug FROM author ORDER BY slug")))
    # Each feed once: every one of them a first rendering.
    scoped = (
        [f"/v1/feeds/section/{x}.rss" for x in sections]
        + [f"/v1/feeds/tag/{x}.atom" for x in tags]
        + [f"/v1/feeds/author/{x}.json" for x in authors]
    )
    site = [f"/v1/feeds/site.{ext}" for ext in ("rss", "atom", "json")]
    cases = [
        run_case(
            client,
            "feeds of sections, tags, authors, uncached",
            "feed",
            scoped.__getitem__,
            requests=len(scoped),
        ),
        run_case(client, "site feeds, uncached", "feed", site.__getitem__, requests=len(site)),
        run_case(client, "site RSS feed, warm", "warm", lambda i: "/v1/feeds/site.rss", warm=True),
        run_case(
            client,
            "News Feed entries, uncached",
            "feed",
            lambda i: f"/v1/feed?limit={100 - i % 100}",
            requests=100,
        ),
        run_case(
            client, "news sitemap, warm", "warm", lambda i: "/v1/sitemaps/news.xml", warm=True
        ),
    ]
    return cases


def write_cases(base: str, secret: str, s: Subjects) -> list[Case]:
    """Create, PATCH (If-Match), publish and delete in turn, while two clients read lists
    that miss the cache."""
    stop = threading.Event()
    reads = [0]

    def reader(offset: int) -> None:
        with httpx.Client(base_url=base, timeout=60) as c:
            i = offset
            while not stop.is_set():
                c.get("/v1/articles", params={"published_before": iso(FAR - timedelta(seconds=i))})
                reads[0] += 1
                i += 2

    readers = [threading.Thread(target=reader, args=(n,), daemon=True) for n in range(2)]
    for t in readers:
        t.start()
    steps = {
        name: Case(f"{name}, under concurrent reads", "write")
        for name in ("create", "PATCH with If-Match", "publish", "delete")
    }
    headers = {"Authorization": f"Bearer {secret}"}
    body = [{"type": "paragraph", "html": "Word " * 60} for _ in range(8)]
    deadline = time.monotonic() + CASE_SECONDS * 3
    with httpx.Client(base_url=base, timeout=60, headers=headers) as c:

        def timed(step: str, method: str, url: str, **kw: Any) -> httpx.Response:
            started = time.perf_counter()
            response = c.request(method, url, **kw)
            steps[step].record(
                f"{method} {url}", time.perf_counter() - started, response.status_code
            )
            return response

        for i in range(WRITES):
            if time.monotonic() > deadline:
                break
            created = timed(
                "create",
                "POST",
                "/v1/articles",
                json={
                    "headline": f"Scale bench story {i}",
                    "body": body,
                    "section": s.section,
                    "tags": [s.tag],
                    "authors": [s.author],
                },
            )
            if created.status_code >= 300:
                say(f"  create failed: {created.status_code} {created.text[:200]}")
                break
            ref, etag = created.json()["data"]["id"], created.headers["etag"]
            patched = timed(
                "PATCH with If-Match",
                "PATCH",
                f"/v1/articles/{ref}",
                json={"headline": f"Changed {i}"},
                headers={"If-Match": etag},
            )
            published = timed("publish", "POST", f"/v1/articles/{ref}/publish")
            etag = published.headers.get("etag") or patched.headers.get("etag", "")
            timed("delete", "DELETE", f"/v1/articles/{ref}", headers={"If-Match": etag})
    stop.set()
    for t in readers:
        t.join(timeout=60)
    for case in steps.values():
        case.note = f"{reads[0]} reads beside"
        say(f"  {case.name}: p50 {case.percentile(50):.1f} ms, p99 {case.percentile(99):.1f} ms")
    return list(steps.values())


# -- the database -----------------------------------------------------------------------------


def sizes(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        database = conn.scalar(text("SELECT pg_database_size(current_database())"))
        tables = conn.execute(
            text(
                "SELECT relname, pg_relation_size(oid), pg_indexes_size(oid), "
                "pg_total_relation_size(oid) FROM pg_class WHERE relkind = 'r' "
                "AND relnamespace = 'public'::regnamespace ORDER BY 4 DESC LIMIT 12"
            )
        ).all()
        indexes = conn.execute(
            text(
                "SELECT c.relname, t.relname, pg_relation_size(c.oid) FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid "
                "WHERE c.relnamespace = 'public'::regnamespace ORDER BY 3 DESC"
            )
        ).all()
        version = conn.scalar(text("SHOW server_version"))
    return {
        "postgresql": version,
        "database_bytes": database,
        "tables": [
            {"table": n, "heap_bytes": h, "index_bytes": i, "total_bytes": t}
            for n, h, i, t in tables
        ],
        "indexes": [{"index": n, "table": t, "bytes": b} for n, t, b in indexes],
    }


def explain(url: str, cases: list[Case]) -> dict[str, Any]:
    """The slowest case of each kind, asked once more of an application in this process
    whose engine records every statement: the slowest statement, EXPLAIN (ANALYZE, BUFFERS)."""
    os.environ.update({"DATABASE_URL": url, "REDIS_URL": "", **UNLIMITED})
    from app.config import get_settings
    from app.db import get_engine
    from app.main import create_service

    get_settings.cache_clear()
    get_engine.cache_clear()
    engine = get_engine()
    seen: list[tuple[float, str, Any]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _before(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        conn.info["started"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _after(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            seen.append((time.perf_counter() - conn.info["started"], statement, params))

    service = create_service()
    slowest: dict[str, Case] = {}
    for case in cases:
        if case.kind in ("write", "warm") or not case.latencies:
            continue
        if case.kind not in slowest or case.percentile(99) > slowest[case.kind].percentile(99):
            slowest[case.kind] = case

    async def ask(path: str) -> None:
        transport = httpx.ASGITransport(app=service)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            await client.get(path)

    plans: dict[str, Any] = {}
    for kind, case in slowest.items():
        seen.clear()
        asyncio.run(ask(case.slowest[1]))
        if not seen:
            continue
        seconds, statement, params = max(seen, key=lambda s: s[0])
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
            plan = [row[0] for row in cur.fetchall()]
            raw.rollback()
        finally:
            raw.close()
        plans[kind] = {
            "case": case.name,
            "url": case.slowest[1],
            "statement_ms": round(seconds * 1000, 2),
            "sql": statement,
            "params": {k: str(v) for k, v in (params or {}).items()}
            if isinstance(params, dict)
            else str(params),
            "plan": plan,
        }
    engine.dispose()
    return plans


# -- one archive, measured ------------------------------------------------------------------


def measure(url: str, articles: int) -> dict[str, Any]:
    generation = prepare(url, articles)
    engine = create_engine(url)
    with engine.connect() as conn:
        held = conn.scalar(text("SELECT count(*) FROM article")) or 0
    s = subjects(engine)
    say(f"{held:,} articles; section {s.section}, tag {s.tag}, author {s.author}, words {s.words}")
    os.environ.update({"DATABASE_URL": url})
    from sqlmodel import Session

    from app.keys.service import create_key
    from app.models import Scope

    with Session(engine) as session:
        secret = create_key(session, name="scale bench", scopes=[Scope.content_write]).secret
    env = {"DATABASE_URL": url, "REDIS_URL": "", **UNLIMITED}
    command = [sys.executable, "-m", "app.cli", "serve", "--workers", str(WORKERS)]
    loads: list[float] = []
    with server(command, env) as (base, _answered, _pid):
        client = httpx.Client(base_url=base, timeout=120)
        for _ in range(600):
            if client.get("/readyz").status_code == 200:
                break
            time.sleep(0.1)
        misses = render_misses(client)
        cases = list_cases(client, s) if "lists" in CASES else []
        loads.append(os.getloadavg()[0])
        cases += search_cases(client, s) if "search" in CASES else []
        cases += sync_cases(client, s) if "sync" in CASES else []
        cases += feed_cases(client, s, engine) if "feeds" in CASES else []
        loads.append(os.getloadavg()[0])
        uncached = sum(len(c.latencies) for c in cases if c.kind not in ("warm",))
        missed = render_misses(client) - misses
        cases += write_cases(base, secret, s) if "writes" in CASES else []
        loads.append(os.getloadavg()[0])
        client.close()
    say("EXPLAIN (ANALYZE, BUFFERS) of the slowest case of each kind")
    plans = explain(url, cases)
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "articles": held,
        "requested": articles,
        "generation": generation,
        "workers": WORKERS,
        "case_seconds": CASE_SECONDS,
        "case_requests": CASE_REQUESTS,
        "machine": {
            "cpus": os.cpu_count(),
            "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "subjects": {
            "section": s.section,
            "tag": s.tag,
            "author": s.author,
            "date_range": [s.after, s.before],
            "words": s.words,
            "phrase": s.phrase,
        },
        "render_cache": {"requests_meant_to_miss": uncached, "misses": missed},
        "load_average": [round(x, 2) for x in loads],
        "cases": [c.row() for c in cases],
        "database": sizes(engine),
        "explain": plans,
    }
    engine.dispose()
    return report


# -- goals and the table ----------------------------------------------------------------------


def goals(report: dict[str, Any], compare: dict[str, Any] | None) -> list[dict[str, Any]]:
    rows = report["cases"]
    measured = [r for r in rows if r["requests"]]

    def of(kind: str) -> list[dict[str, Any]]:
        return [r for r in measured if r["kind"] == kind]

    def worst(items: list[dict[str, Any]]) -> dict[str, Any]:
        return max(items, key=lambda r: r["p99_ms"]) if items else {"p99_ms": 0, "name": "-"}

    checks: list[tuple[str, bool, str]] = []
    lists = worst(of("list"))
    checks.append(
        (
            "uncached list pages p99 <= 20 ms",
            lists["p99_ms"] <= 20,
            f"{lists['p99_ms']:.1f} ms ({lists['name']})",
        )
    )
    ratios = []
    for r in of("list"):
        if ", first page," in r["name"]:
            continue
        first = next(
            (
                f
                for f in of("list")
                if f["name"] == r["name"].split(", page")[0] + ", first page, uncached"
            ),
            None,
        )
        if first and first["p99_ms"]:
            ratios.append((r["p99_ms"] / first["p99_ms"], r["name"]))
    deep = max(ratios, default=(0.0, "-"))
    checks.append(
        ("deep page p99 <= 1.2x the first page's", deep[0] <= 1.2, f"{deep[0]:.2f}x ({deep[1]})")
    )
    estimate = worst(of("count estimate"))
    checks.append(
        (
            "count=estimate p99 <= 5 ms",
            estimate["p99_ms"] <= 5,
            f"{estimate['p99_ms']:.1f} ms ({estimate['name']})",
        )
    )
    exact_ok = all(
        r["p99_ms"] <= 200 or set(r["statuses"]) <= {"400", "422"} for r in of("count exact")
    )
    exact = worst(of("count exact"))
    checks.append(
        (
            "count=exact <= 200 ms or refused",
            exact_ok,
            f"{exact['p99_ms']:.1f} ms ({exact['name']})",
        )
    )
    search = worst(of("search"))
    checks.append(
        (
            "search p99 <= 50 ms (rare, common words)",
            search["p99_ms"] <= 50,
            f"{search['p99_ms']:.1f} ms ({search['name']})",
        )
    )
    common = worst(of("search common"))
    checks.append(
        (
            "search p99 <= 150 ms (most common word)",
            common["p99_ms"] <= 150,
            f"{common['p99_ms']:.1f} ms",
        )
    )
    writes = worst([r for r in of("write") if not r["name"].startswith("delete")])
    checks.append(
        (
            "create/PATCH/publish p99 <= 50 ms under reads",
            writes["p99_ms"] <= 50,
            f"{writes['p99_ms']:.1f} ms ({writes['name']})",
        )
    )
    if compare:
        small = {r["name"]: r for r in compare["cases"] if r["requests"]}
        growth = [
            (r["p99_ms"] / small[r["name"]]["p99_ms"], r["name"])
            for r in measured
            if r["name"] in small and small[r["name"]]["p99_ms"] and r["kind"] != "sync"
        ]
        top = max(growth, default=(0.0, "-"))
        checks.append(
            (
                f"{compare['articles']:,} vs {report['articles']:,}: p99 within 2x",
                top[0] <= 2,
                f"{top[0]:.1f}x at most ({top[1]})",
            )
        )
    # A goal none of whose cases ran (BENCH_CASES) is not measured, not met.
    ran = {
        "uncached list pages p99 <= 20 ms": of("list"),
        "deep page p99 <= 1.2x the first page's": of("list"),
        "count=estimate p99 <= 5 ms": of("count estimate"),
        "count=exact <= 200 ms or refused": of("count exact"),
        "search p99 <= 50 ms (rare, common words)": of("search"),
        "search p99 <= 150 ms (most common word)": of("search common"),
        "create/PATCH/publish p99 <= 50 ms under reads": of("write"),
    }
    return [
        {"goal": g, "met": bool(ok), "measured": m}
        if ran.get(g, True)
        else {"goal": g, "met": None, "measured": "not measured"}
        for g, ok, m in checks
    ]


def table(report: dict[str, Any], compare: dict[str, Any] | None) -> str:
    db = report["database"]
    gen = report["generation"]
    made = (
        f"generated {gen['generated']:,} in {gen['seconds']:.0f} s"
        if gen["seconds"]
        else "generation skipped (the database held the archive)"
    )
    lines = [
        f"{report['articles']:,} articles on PostgreSQL {db['postgresql']}, {report['workers']} "
        f"workers, {report['machine']['cpus']} cores; {made}; database "
        f"{db['database_bytes'] / 2**30:.1f} GiB; load average "
        f"{', '.join(str(x) for x in report['load_average'])}",
        "",
    ]
    small = {r["name"]: r for r in compare["cases"]} if compare else {}
    head = "| case | requests | cache misses | p50 ms | p99 ms |"
    rule = "|---|---:|---:|---:|---:|"
    if compare:
        head += f" p99 ms at {compare['articles']:,} | growth |"
        rule += "---:|---:|"
    lines += [head, rule]
    for r in report["cases"]:
        misses = "" if r.get("render_cache_misses") is None else r["render_cache_misses"]
        line = (
            f"| {r['name']} | {r['requests']} | {misses} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} |"
        )
        if not r["requests"]:
            line = f"| {r['name']} | - | | - | - |"
        if compare:
            other = small.get(r["name"])
            if other and other["requests"] and r["requests"] and other["p99_ms"]:
                line += f" {other['p99_ms']:.1f} | {r['p99_ms'] / other['p99_ms']:.1f}x |"
            else:
                line += " - | - |"
        if r["note"]:
            line += f" {r['note']}"
        lines.append(line)
    lines += ["", "| goal | measured | |", "|---|---|---|"]
    lines += [
        f"| {g['goal']} | {g['measured']} | "
        f"{'met' if g['met'] else '' if g['met'] is None else 'not met'} |"
        for g in report["goals"]
    ]
    biggest = ", ".join(f"{i['index']} {i['bytes'] / 2**20:,.0f} MiB" for i in db["indexes"][:6])
    lines += ["", f"largest indexes: {biggest}"]
    for kind, plan in report["explain"].items():
        top = next((p for p in plan["plan"] if "Execution Time" in p), "")
        lines.append(f"slowest {kind}: {plan['case']}: statement {plan['statement_ms']} ms; {top}")
    return "\n".join(lines)


def main() -> None:
    raw = os.environ.get("BENCH_DATABASE_URL")
    if not raw:
        sys.exit("set BENCH_DATABASE_URL to an empty PostgreSQL database")
    if unknown := set(CASES) - set(GROUPS):
        sys.exit(
            f"BENCH_CASES: no such group {', '.join(sorted(unknown))} (of {', '.join(GROUPS)})"
        )
    compare: dict[str, Any] | None = None
    if COMPARE_ARTICLES:
        other = os.environ.get("BENCH_COMPARE_DATABASE_URL")
        kept = OUTPUT.parent / f"scale-{COMPARE_ARTICLES}.json"
        if other:
            say(f"the {COMPARE_ARTICLES:,} archive first")
            compare = measure(sqlalchemy_url(other), COMPARE_ARTICLES)
            compare["goals"] = goals(compare, None)
            keep(compare)
        elif kept.exists():
            say(f"comparing with {kept}")
            compare = json.loads(kept.read_text())
        else:
            say(f"no {kept} and no BENCH_COMPARE_DATABASE_URL: no side-by-side column")
    report = measure(sqlalchemy_url(raw), ARTICLES)
    report["goals"] = goals(report, compare)
    report["compare_articles"] = compare["articles"] if compare else None
    keep(report)
    print(table(report, compare))


def keep(report: dict[str, Any]) -> None:
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    body = json.dumps(report, indent=2, default=str) + "\n"
    OUTPUT.write_text(body)
    if set(CASES) == set(GROUPS):  # a part of the cases is no archive's whole record
        (OUTPUT.parent / f"scale-{report['requested']}.json").write_text(body)


if __name__ == "__main__":
    main()
