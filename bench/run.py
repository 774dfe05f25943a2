"""Run the benchmark: generate content, serve it with two workers, drive load with wrk,
and hold the results against the goals (ratios to the bare-ASGI ceiling of the same run).

Environment: BENCH_ARTICLES (10000), BENCH_SECONDS (10), BENCH_CONNECTIONS (64),
BENCH_DATABASE_URL (default: a SQLite file kept in data/ per article count, so a second run
does not generate again), BENCH_OUTPUT (data/bench/latest.json), BENCH_PROFILE (set to 1:
py-spy samples one worker during the article load, into data/bench/article-profile.txt).
"""

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench import startup

WORKERS = 2
ARTICLES = int(os.environ.get("BENCH_ARTICLES", "10000"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "64"))
ROTATE_SLUGS = 1000
OUTPUT = Path(os.environ.get("BENCH_OUTPUT", "data/bench/latest.json"))
UNLIMITED = {
    "RATE_LIMIT_ANONYMOUS": "1000000000",
    "RATE_LIMIT_KEY": "1000000000",
    "LOG_LEVEL": "warning",
}

ROTATE_LUA = """
local slugs = {}
for line in io.lines(os.getenv("BENCH_SLUGS")) do slugs[#slugs + 1] = line end
local i = math.random(#slugs)
request = function()
  i = i % #slugs + 1
  return wrk.format("GET", "/v1/articles/" .. slugs[i])
end
"""

# Searches that miss every cache: common words, each with the exclusion of a word no
# article has, so every request is a new query with the same matches.
SEARCH_LUA = """
local words = {"kyiv", "talks", "energy OR grain", "\\"air defense\\"", "negotiat*", "museum"}
local n = math.random(1000000000)
request = function()
  n = n + 1
  local q = words[n % #words + 1] .. " -qq" .. n
  return wrk.format("GET", "/v1/articles?q=" .. q:gsub("[^%w*-]", function(c)
    return string.format("%%%02X", string.byte(c)) end))
end
"""


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    say("installing wrk (Debian package)")
    subprocess.run(["apt-get", "update", "-q"], check=True, capture_output=True)
    subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, capture_output=True)
    return shutil.which("wrk") or sys.exit("wrk could not be installed")


def database_url() -> str:
    if os.environ.get("BENCH_DATABASE_URL"):
        return os.environ["BENCH_DATABASE_URL"]
    path = Path("data") / f"bench-{ARTICLES}.db"
    return f"sqlite:///{path}"


def prepare(url: str) -> None:
    env = {**os.environ, "DATABASE_URL": url}
    byline = [sys.executable, "-m", "app.cli"]
    subprocess.run([*byline, "migrate"], env=env, check=True, capture_output=True)
    marker = Path(url.removeprefix("sqlite:///") + ".ready") if url.startswith("sqlite") else None
    if marker and marker.exists():
        return
    say(f"generating {ARTICLES} articles")
    started = time.monotonic()
    subprocess.run(
        [*byline, "demo", "--articles", str(ARTICLES)], env=env, check=True, capture_output=True
    )
    say(f"  {time.monotonic() - started:.0f} s")
    if marker:
        marker.touch()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def server(command: list[str], env: dict[str, str]) -> Iterator[tuple[str, float, int]]:
    """Start a server; yield (base URL, seconds until it answered, pid)."""
    port = free_port()
    started = time.monotonic()
    process = subprocess.Popen(
        [*command, "--port", str(port)],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code < 500:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() - started > 60:
                sys.exit("server did not start")
            time.sleep(0.02)
        yield base, time.monotonic() - started, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def worker_rss_mb(parent: int) -> list[float]:
    """Resident memory of the worker processes under `parent`, in MB."""
    children = Path(f"/proc/{parent}/task/{parent}/children")
    pids = children.read_text().split() if children.exists() else []
    sizes = []
    for pid in pids:
        status = Path(f"/proc/{pid}/status")
        cmdline = Path(f"/proc/{pid}/cmdline")
        if cmdline.exists() and b"resource_tracker" in cmdline.read_bytes():
            continue
        if status.exists():
            match = re.search(r"VmRSS:\s+(\d+) kB", status.read_text())
            if match:
                sizes.append(int(match.group(1)) / 1024)
    return sizes


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(
    wrk_bin: str, url: str, *, headers: dict[str, str] | None = None, script: str | None = None
) -> dict[str, float]:
    """Warm up 2 s, then a bounded run; requests/s and latency percentiles."""
    headers = headers or {}
    args = [wrk_bin, "-t2", f"-c{CONNECTIONS}", "--latency"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    if script:
        args += ["-s", script]
    subprocess.run([*args, "-d2s", url], check=True, capture_output=True, timeout=60)
    out = subprocess.run(
        [*args, f"-d{SECONDS}s", url],
        check=True,
        capture_output=True,
        text=True,
        timeout=SECONDS + 60,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    # The percentiles of the "Latency Distribution" block, each on a line of its own.
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        say(f"  warning: {errors.group(1)} non-2xx/3xx answers from {url}")
    return {"rps": rps, "p50_ms": p50, "p99_ms": p99}


def render_misses(base: str) -> float:
    """Render-cache misses so far, over every worker (from /metrics)."""
    text = httpx.get(base + "/metrics", timeout=30).text
    match = re.search(r'^byline_render_cache_total\{result="miss"\} (\S+)', text, re.M)
    return float(match.group(1)) if match else 0.0


def settle(wrk_bin: str, base: str, rotate: str) -> None:
    """The rotating load until no worker renders any more: every slug kept by every worker
    (new connections land on either worker, so the warm-up above may have missed some)."""
    for _ in range(15):
        before = render_misses(base)
        subprocess.run(
            [wrk_bin, "-t2", f"-c{CONNECTIONS}", "-d2s", "-s", rotate, base + "/"],
            check=True,
            capture_output=True,
            timeout=60,
        )
        if render_misses(base) == before:
            return
    say("  warning: the article cache did not settle (misses go on)")


def deep_cursor(base: str, pages: int) -> tuple[str | None, int]:
    """The cursor of page `pages` of the newest-first list (20 a page), walked for real."""
    cursor, depth = None, 1
    with httpx.Client(base_url=base, timeout=30) as client:
        while depth < pages:
            params = {"limit": "20", **({"cursor": cursor} if cursor else {})}
            nxt = client.get("/v1/articles", params=params).json()["meta"]["next_cursor"]
            if not nxt:
                break
            cursor, depth = nxt, depth + 1
    return cursor, depth


def main() -> None:
    wrk_bin = ensure_wrk()
    url = database_url()
    prepare(url)
    env = {"DATABASE_URL": url, **UNLIMITED}
    results: list[dict[str, Any]] = []
    tmp = Path(tempfile.mkdtemp(prefix="byline-bench-"))
    rotate = tmp / "rotate.lua"
    rotate.write_text(ROTATE_LUA)
    search = tmp / "search.lua"
    search.write_text(SEARCH_LUA)

    byline_cmd = [sys.executable, "-m", "app.cli", "serve", "--workers", str(WORKERS)]
    with server(byline_cmd, env) as (base, _answered, pid):
        client = httpx.Client(base_url=base, timeout=30)
        newest = client.get("/v1/articles", params={"limit": "100", "fields": "slug"}).json()
        slugs = [a["slug"] for a in newest["data"]]
        page = newest
        while len(slugs) < ROTATE_SLUGS and page["links"]["next"]:
            page = client.get(page["links"]["next"]).json()
            slugs += [a["slug"] for a in page["data"]]
        slugs = slugs[:ROTATE_SLUGS]
        (tmp / "slugs.txt").write_text("\n".join(slugs) + "\n")
        # Warm: every slug rendered by every worker (new connections land on either).
        say(f"warming {len(slugs)} articles")
        # A connection a request (no keep-alive), from one client: `httpx.get` would build a
        # client, and its TLS context, for every request.
        fresh = httpx.Client(base_url=base, limits=httpx.Limits(max_keepalive_connections=0))
        for _ in range(3):
            for slug in slugs:
                fresh.get(f"/v1/articles/{slug}")
        fresh.close()
        os.environ["BENCH_SLUGS"] = str(tmp / "slugs.txt")
        settle(wrk_bin, base, str(rotate))
        one = f"/v1/articles/{slugs[0]}"
        article_bytes = len(client.get(one, headers={"Accept-Encoding": "identity"}).content)
        etag = client.get(one).headers["etag"]
        tag = client.get("/v1/tags", params={"limit": "1"}).json()["data"][0]["slug"]
        cursor, depth = deep_cursor(base, 400)
        first_page = "/v1/articles?limit=20"
        deep_page = f"/v1/articles?limit=20&cursor={cursor}"
        os.environ["BENCH_SLUGS"] = str(tmp / "slugs.txt")
        cases = [
            ("article by slug (rotating)", base + one, {}, str(rotate)),
            ("304 revalidation", base + one, {"If-None-Match": etag}, None),
            ("list of 20 newest", base + first_page, {}, None),
            (
                "list by tag, include=authors",
                base + f"/v1/articles?tag={tag}&include=authors",
                {},
                None,
            ),
            (f"page {depth} (cursor)", base + deep_page, {}, None),
            ("search, uncached (a new query each time)", base + first_page, {}, str(search)),
            ("first page (for p99 ratio)", base + first_page, {}, None),
        ]
        for name, target, headers, script in cases:
            say(f"load: {name}")
            profiler = profile(pid) if name.startswith("article") else None
            results.append(
                {"endpoint": name, **wrk(wrk_bin, target, headers=headers, script=script)}
            )
            if profiler is not None:
                profiler.wait(timeout=120)
        rss = worker_rss_mb(pid)
        client.close()

    os.environ["CEILING_BYTES"] = str(article_bytes)
    ceiling_cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "bench.ceiling:app",
        "--workers",
        str(WORKERS),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--log-level",
        "warning",
        "--no-access-log",
        "--no-server-header",
    ]
    with server(ceiling_cmd, {"CEILING_BYTES": str(article_bytes)}) as (cbase, _, _pid):
        say("load: ceiling")
        ceiling = wrk(wrk_bin, cbase + "/", headers={})

    for row in results:
        row["ratio"] = round(row["rps"] / ceiling["rps"], 3)
    say("start-up, twice")
    starts = [startup.measure(env, workers=WORKERS) for _ in range(2)]
    imports = import_time()
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "articles": ARTICLES,
        "database": url.split(":")[0],
        "workers": WORKERS,
        "connections": CONNECTIONS,
        "seconds": SECONDS,
        "article_bytes": article_bytes,
        "ceiling": ceiling,
        "results": results,
        "worker_rss_mb": [round(x, 1) for x in rss],
        "startup_s": min(s["ready_s"] for s in starts),
        "startups": starts,
        "import": imports,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    report["goals"] = goals(report)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(report, indent=2) + "\n")
    print(table(report))


def profile(parent: int) -> subprocess.Popen[bytes] | None:
    """py-spy on the first worker for the article load (BENCH_PROFILE=1), if installed."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    if os.environ.get("BENCH_PROFILE") != "1" or not Path(spy).exists() or not children:
        return None
    out = OUTPUT.parent / "article-profile.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    args = [spy, "record", "-r", "200", "-f", "raw", "-d", str(SECONDS), "-p", children[-1]]
    return subprocess.Popen([*args, "-o", str(out)], stdout=subprocess.DEVNULL)


def import_time() -> dict[str, float]:
    """`import app.main` in a fresh interpreter: wall time (best of three), and the sum of
    `-X importtime`'s per-module times with the share of it that is Byline's own modules."""
    walls = []
    for _ in range(3):
        started = time.monotonic()
        subprocess.run([sys.executable, "-c", "import app.main"], check=True)
        walls.append(time.monotonic() - started)
    err = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import app.main"],
        check=True,
        capture_output=True,
        text=True,
    ).stderr
    total = own = modules = 0
    for line in err.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        spent, _, name = line.removeprefix("import time:").split("|")
        total += int(spent)
        modules += 1
        own += int(spent) if name.strip().split(".")[0] == "app" else 0
    return {
        "wall_s": round(min(walls), 2),
        "modules_s": round(total / 1e6, 2),
        "own_share": round(own / total, 2),
        "modules": modules,
    }


def goals(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The performance goals, each with what this run measured."""
    rows = {r["endpoint"].split(" (")[0]: r for r in report["results"]}
    article = rows["article by slug"]
    deep = next(r for r in report["results"] if r["endpoint"].startswith("page "))
    first = rows["first page"]
    lists = min(rows["list of 20 newest"]["ratio"], rows["list by tag, include=authors"]["ratio"])
    rss = max(report["worker_rss_mb"] or [0])
    tail = article["p99_ms"] / article["p50_ms"] if article["p50_ms"] else 0
    deep_tail = deep["p99_ms"] / first["p99_ms"] if first["p99_ms"] else 0
    checks = [
        ("article by slug >= 50% of ceiling", article["ratio"] >= 0.5, f"{article['ratio']:.0%}"),
        ("article p99 <= 3x its p50", tail <= 3, f"{tail:.1f}x"),
        (
            "304 revalidation >= 65%",
            rows["304 revalidation"]["ratio"] >= 0.65,
            f"{rows['304 revalidation']['ratio']:.0%}",
        ),
        ("lists >= 35%", lists >= 0.35, f"{lists:.0%} (the lower of the two)"),
        ("deep page p99 <= 1.2x the first page's", deep_tail <= 1.2, f"{deep_tail:.2f}x"),
        ("worker RSS <= 150 MB", rss <= 150, f"{rss:.0f} MB"),
        ("start-up <= 2 s", report["startup_s"] <= 2, f"{report['startup_s']:.2f} s"),
        (
            "import app.main <= 0.6 s",
            report["import"]["wall_s"] <= 0.6,
            f"{report['import']['wall_s']:.2f} s",
        ),
    ]
    return [{"goal": g, "met": bool(ok), "measured": m} for g, ok, m in checks]


def table(report: dict[str, Any]) -> str:
    lines = [
        f"{report['articles']} articles, {report['database']}, {report['workers']} workers, "
        f"wrk -t2 -c{report['connections']} -d{report['seconds']}s, "
        f"{report['machine']['cpus']} cores",
        "",
        "| endpoint | requests/s | p50 ms | p99 ms | of ceiling |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in report["results"]:
        lines.append(
            f"| {row['endpoint']} | {row['rps']:,.0f} | {row['p50_ms']:.2f} | "
            f"{row['p99_ms']:.2f} | {row['ratio']:.0%} |"
        )
    c = report["ceiling"]
    lines.append(
        f"| bare ASGI ceiling ({report['article_bytes']} B) | {c['rps']:,.0f} | "
        f"{c['p50_ms']:.2f} | {c['p99_ms']:.2f} | 100% |"
    )
    lines += [
        "",
        f"worker RSS: {', '.join(f'{x:.0f} MB' for x in report['worker_rss_mb'])}; "
        f"start-up {report['startup_s']:.2f} s (command to first 200 on /readyz, every worker "
        f"up); import app.main {report['import']['wall_s']:.2f} s "
        f"({report['import']['modules']} modules, {report['import']['own_share']:.0%} of "
        f"import time in Byline's own); load average {report['load_average'][0]:.1f} at the "
        f"end on {report['machine']['cpus']} cores",
        "",
        "| goal | measured | |",
        "|---|---:|---|",
        *(
            f"| {g['goal']} | {g['measured']} | {'met' if g['met'] else 'not met'} |"
            for g in report["goals"]
        ),
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
