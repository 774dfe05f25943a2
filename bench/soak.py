"""The soak: mixed reads of every kind and editorial writes at a steady rate against
`byline serve` (two workers) for a long while, with each worker's resident memory sampled,
to see whether memory stays flat once warm.

Environment: SOAK_SECONDS (600), SOAK_WRITES_PER_SECOND (2), SOAK_CONNECTIONS (16),
BENCH_ARTICLES (10000; the benchmark's SQLite file is copied, so the writes never change
it), BENCH_DATABASE_URL (used as it is, written to), SOAK_OUTPUT (data/bench/soak.json).
Prints the samples and whether memory stayed within +10% of its size after warm-up (the
first fifth of the run, at least 60 s).
"""

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.run import (
    UNLIMITED,
    database_url,
    ensure_wrk,
    prepare,
    server,
    worker_rss_mb,
)

SECONDS = int(os.environ.get("SOAK_SECONDS", "600"))
WRITES_PER_SECOND = float(os.environ.get("SOAK_WRITES_PER_SECOND", "2"))
CONNECTIONS = int(os.environ.get("SOAK_CONNECTIONS", "16"))
OUTPUT = Path(os.environ.get("SOAK_OUTPUT", "data/bench/soak.json"))
SAMPLE_EVERY = 10
FLAT = 1.10

# One request a call, cycling through every kind of read; a line with an entity tag after a
# tab is a revalidation (If-None-Match).
MIXED_LUA = """
local reqs = {}
for line in io.lines(os.getenv("SOAK_PATHS")) do
  local path, etag = line:match("^([^\\t]+)\\t?(.*)$")
  reqs[#reqs + 1] = {path, etag}
end
local i = math.random(#reqs)
request = function()
  i = i % #reqs + 1
  local r = reqs[i]
  if r[2] ~= "" then
    return wrk.format("GET", r[1], {["If-None-Match"] = r[2]})
  end
  return wrk.format("GET", r[1])
end
"""


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def soak_database(folder: Path) -> str:
    """A copy of the benchmark's SQLite file (so the writes leave it as it was), or
    BENCH_DATABASE_URL as it is."""
    url = database_url()
    prepare(url)
    if not url.startswith("sqlite:///") or os.environ.get("BENCH_DATABASE_URL"):
        return url
    copy = folder / "soak.db"
    with (
        sqlite3.connect(url.removeprefix("sqlite:///")) as source,
        sqlite3.connect(copy) as target,
    ):
        source.backup(target)
    return f"sqlite:///{copy}"


def editor_key(url: str) -> str:
    os.environ["DATABASE_URL"] = url
    from sqlmodel import Session

    from app.db import make_engine
    from app.keys.service import create_key
    from app.models import Scope

    with Session(make_engine(url)) as session:
        return create_key(session, name="soak", scopes=[Scope.content_write]).secret


def mixed_paths(client: httpx.Client) -> list[str]:
    """Every kind of public read, many articles: lines for the Lua script."""
    slugs: list[str] = []
    page = client.get("/v1/articles", params={"limit": "100", "fields": "slug"}).json()
    while len(slugs) < 1000:
        slugs += [a["slug"] for a in page["data"]]
        if not page["links"]["next"]:
            break
        page = client.get(page["links"]["next"]).json()
    tags = [t["slug"] for t in client.get("/v1/tags", params={"limit": "5"}).json()["data"]]
    sections = [s["slug"] for s in client.get("/v1/sections").json()["data"]]
    authors = [a["slug"] for a in client.get("/v1/authors", params={"limit": "5"}).json()["data"]]
    cursor = None
    for _ in range(50):
        params = {"limit": "20", **({"cursor": cursor} if cursor else {})}
        cursor = client.get("/v1/articles", params=params).json()["meta"]["next_cursor"]
    lines = [f"/v1/articles/{slug}" for slug in slugs]
    for slug in slugs[:100]:
        etag = client.get(f"/v1/articles/{slug}").headers.get("etag", "")
        lines.append(f"/v1/articles/{slug}\t{etag}")
    lines += [
        "/v1/articles?limit=20",
        f"/v1/articles?limit=20&cursor={cursor}",
        "/v1/articles?q=energy",
        "/v1/articles?q=museum",
        "/v1/feed",
        "/v1/site",
        "/v1/popular",
        "/v1/tags",
        "/v1/sections",
        "/v1/authors",
        "/v1/feeds/site.rss",
        "/v1/feeds/site.json",
        "/v1/sitemaps/news.xml",
        *(f"/v1/articles?tag={t}&include=authors" for t in tags),
        *(f"/v1/articles?section={s}" for s in sections),
        *(f"/v1/authors/{a}/articles" for a in authors),
    ]
    # Reads of every other kind as often as single articles, about.
    return lines[: len(slugs)] + lines[len(slugs) :] * 10


def writer(base: str, secret: str, stop: threading.Event, counts: dict[str, int]) -> None:
    """Create, PATCH and publish stories in turn, WRITES_PER_SECOND requests a second."""
    body = [{"type": "paragraph", "html": "Word " * 60} for _ in range(4)]
    client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {secret}"}, timeout=30)
    interval = 1 / WRITES_PER_SECOND
    next_at = time.monotonic()
    i = 0
    ref = etag = None
    while not stop.is_set():
        step = i % 3
        try:
            if step == 0:
                answer = client.post(
                    "/v1/articles",
                    json={"headline": f"Soak story {i}", "body": body, "section": "news"},
                )
                if answer.status_code < 300:
                    ref, etag = answer.json()["data"]["id"], answer.headers["etag"]
            elif step == 1 and ref:
                answer = client.patch(
                    f"/v1/articles/{ref}", json={"headline": "Changed"}, headers={"If-Match": etag}
                )
            elif ref:
                answer = client.post(f"/v1/articles/{ref}/publish")
            counts["writes"] += 1
            if answer.status_code >= 300:
                counts["failed"] += 1
        except httpx.HTTPError:
            counts["failed"] += 1
        i += 1
        next_at += interval
        stop.wait(max(0.0, next_at - time.monotonic()))
    client.close()


def run_wrk(wrk_bin: str, base: str, script: Path, seconds: int) -> dict[str, Any]:
    args = [wrk_bin, "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "-s", str(script)]
    out = subprocess.run(
        [*args, base + "/"], check=True, capture_output=True, text=True, timeout=seconds + 120
    ).stdout

    def find(pattern: str) -> str | None:
        match = re.search(pattern, out, re.M)
        return match.group(1) if match else None

    return {
        "rps": float(find(r"Requests/sec:\s+([\d.]+)") or 0),
        "requests": int(find(r"(\d+) requests in") or 0),
        "p50": find(r"^\s+50%\s+(\S+)"),
        "p99": find(r"^\s+99%\s+(\S+)"),
        "non_2xx_3xx": int(find(r"Non-2xx or 3xx responses: (\d+)") or 0),
    }


def verdict(samples: list[dict[str, Any]]) -> dict[str, Any]:
    """Memory after warm-up against memory at the end, per worker (the largest)."""
    warm_at = max(60.0, SECONDS / 5)
    warm = next((s for s in samples if s["t"] >= warm_at), samples[-1])
    end = samples[-1]
    count = min(len(warm["rss_mb"]), len(end["rss_mb"]))
    growth = [end["rss_mb"][i] / warm["rss_mb"][i] for i in range(count)]
    return {
        "warm_at_s": warm["t"],
        "warm_rss_mb": warm["rss_mb"],
        "end_rss_mb": end["rss_mb"],
        "growth": [round(g, 3) for g in growth],
        "flat": bool(growth) and max(growth) <= FLAT,
        "max_rss_mb": max(max(s["rss_mb"] or [0]) for s in samples),
    }


def main() -> None:
    wrk_bin = ensure_wrk()
    folder = Path(tempfile.mkdtemp(prefix="byline-soak-"))
    url = soak_database(folder)
    secret = editor_key(url)
    env = {"DATABASE_URL": url, "DATA_DIR": str(folder), **UNLIMITED}
    command = [sys.executable, "-m", "app.cli", "serve", "--workers", "2"]
    samples: list[dict[str, Any]] = []
    counts = {"writes": 0, "failed": 0}
    with server(command, env) as (base, _answered, pid):
        with httpx.Client(base_url=base, timeout=30) as client:
            script_paths = folder / "paths.txt"
            script_paths.write_text("\n".join(mixed_paths(client)) + "\n")
        script = folder / "mixed.lua"
        script.write_text(MIXED_LUA)
        os.environ["SOAK_PATHS"] = str(script_paths)
        stop = threading.Event()
        threads = [threading.Thread(target=writer, args=(base, secret, stop, counts))]
        result: dict[str, Any] = {}
        threads.append(
            threading.Thread(target=lambda: result.update(run_wrk(wrk_bin, base, script, SECONDS)))
        )
        began = time.monotonic()
        for thread in threads:
            thread.start()
        say(f"soak: {SECONDS} s, writes at {WRITES_PER_SECOND}/s, {CONNECTIONS} readers")
        while threads[1].is_alive():
            t = round(time.monotonic() - began)
            samples.append({"t": t, "rss_mb": [round(x, 1) for x in worker_rss_mb(pid)]})
            say(f"  {t:4d} s  RSS {', '.join(f'{x:.0f} MB' for x in samples[-1]['rss_mb'])}")
            threads[1].join(timeout=SAMPLE_EVERY)
        samples.append(
            {
                "t": round(time.monotonic() - began),
                "rss_mb": [round(x, 1) for x in worker_rss_mb(pid)],
            }
        )
        stop.set()
        threads[0].join(timeout=60)
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": SECONDS,
        "articles": int(os.environ.get("BENCH_ARTICLES", "10000")),
        "database": url.split(":")[0],
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "reads": result,
        "writes": counts,
        "samples": samples,
        "memory": verdict(samples),
    }
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(report, indent=2) + "\n")
    shutil.rmtree(folder, ignore_errors=True)
    memory = report["memory"]
    print(
        f"soak {SECONDS} s, {report['articles']} articles, {report['database']}: reads "
        f"{result.get('rps', 0):,.0f}/s (p50 {result.get('p50')}, p99 {result.get('p99')}, "
        f"{result.get('non_2xx_3xx', 0)} not 2xx/3xx), writes {counts['writes']} "
        f"({counts['failed']} failed)\n"
        f"worker RSS after warm-up ({memory['warm_at_s']} s) {memory['warm_rss_mb']} MB, at "
        f"the end {memory['end_rss_mb']} MB: growth {memory['growth']}; "
        f"{'flat (met)' if memory['flat'] else 'NOT flat (not met)'}: goal <= +10%; "
        f"largest {memory['max_rss_mb']:.0f} MB (goal <= 150 MB: "
        f"{'met' if memory['max_rss_mb'] <= 150 else 'not met'})"
    )


if __name__ == "__main__":
    main()
