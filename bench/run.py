"""Run the benchmark: generate content, serve it with two workers, drive load with wrk.

Environment: BENCH_ARTICLES (10000), BENCH_SECONDS (10), BENCH_CONNECTIONS (64),
BENCH_DATABASE_URL (default: a SQLite file kept in data/ per article count, so a second run
does not generate again), BENCH_OUTPUT (data/bench/latest.json).
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
    with server(byline_cmd, env) as (base, startup, pid):
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
        for _ in range(3):
            for slug in slugs:
                httpx.get(f"{base}/v1/articles/{slug}", headers={"Connection": "close"})
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
            results.append(
                {"endpoint": name, **wrk(wrk_bin, target, headers=headers, script=script)}
            )
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
        "startup_s": round(startup, 2),
    }
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(report, indent=2) + "\n")
    print(table(report))


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
        f"start-up {report['startup_s']:.2f} s",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
