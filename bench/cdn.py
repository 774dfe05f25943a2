"""Byline behind Varnish: warm article and list reads through Varnish beside the same reads
straight from Byline and beside nginx serving a static file of the same bytes, in one run;
then the time from a write's commit to a fresh read through Varnish (the purge's delay).

    make bench-cdn        # BENCH_ARTICLES (2000), BENCH_SECONDS (5), BENCH_CONNECTIONS (32),
                          # BENCH_REQUESTS (200000 a run), BENCH_PURGES (30)

Needs varnishd with the xkey vmod (Debian: varnish, varnish-modules); installs nginx with
apt when it is missing. Everything listens on 127.0.0.1 only.
"""

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bench import load

ARTICLES = int(os.environ.get("BENCH_ARTICLES", "2000"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "200000"))
PURGES = int(os.environ.get("BENCH_PURGES", "30"))
OUTPUT = Path(os.environ.get("BENCH_OUTPUT", "data/bench/cdn.json"))
VCL = Path(__file__).resolve().parent.parent / "deploy" / "varnish" / "byline.vcl"
BYLINE = [sys.executable, "-m", "app.cli"]
UNLIMITED = {
    "RATE_LIMIT_ANONYMOUS": "1000000000",
    "RATE_LIMIT_KEY": "1000000000",
    "LOG_LEVEL": "warning",
}


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_nginx() -> str:
    found = shutil.which("nginx")
    if found:
        return found
    say("installing nginx (Debian package), which this benchmark compares against")
    install = ["apt-get", "install", "-y", "-q", "nginx-light"]
    if subprocess.run(install, capture_output=True, check=False).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], check=True, capture_output=True)
        subprocess.run(install, check=True, capture_output=True)
    return shutil.which("nginx") or sys.exit("nginx could not be installed")


def wait_for(url: str, process: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 180
    while True:
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"{what} did not start")
        time.sleep(0.05)


@contextmanager
def started(command: list[str], url: str, what: str, env: dict[str, str] | None = None):
    process = subprocess.Popen(
        command,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(url, process, what)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=60)


@contextmanager
def stack(work: Path, env: dict[str, str]) -> Iterator[tuple[str, str, str]]:
    """Byline, Varnish in front of it, nginx beside them: their base URLs."""
    byline_port, varnish_port, nginx_port = free_port(), free_port(), free_port()
    byline_env = {
        **env,
        "PURGE_BACKEND": "varnish",
        "PURGE_VARNISH_URLS": f"http://127.0.0.1:{varnish_port}",
        "WEBHOOK_POLL_SECONDS": "0.05",
    }
    vcl = work / "byline.vcl"
    vcl.write_text(VCL.read_text())
    # The shipped backends.vcl names two hosts: both are this one Byline server here.
    backends = (VCL.parent / "backends.vcl").read_text()
    for name in ("byline-1", "byline-2"):
        backends = backends.replace(f'"{name}";', '"127.0.0.1";')
    (work / "backends.vcl").write_text(backends.replace('"8000";', f'"{byline_port}";'))
    static = work / "static"
    static.mkdir()
    (work / "nginx.conf").write_text(
        f"""daemon off; worker_processes 1; pid {work}/nginx.pid; error_log stderr error;
events {{ worker_connections 1024; }}
http {{ access_log off; sendfile on; tcp_nopush on; keepalive_requests 1000000;
  types {{ application/json json; }} client_body_temp_path {work}/nginx;
  proxy_temp_path {work}/nginx; fastcgi_temp_path {work}/nginx;
  uwsgi_temp_path {work}/nginx; scgi_temp_path {work}/nginx;
  server {{ listen 127.0.0.1:{nginx_port}; root {static}; }} }}
"""
    )
    os.chmod(work, 0o755)
    byline = f"http://127.0.0.1:{byline_port}"
    varnish = f"http://127.0.0.1:{varnish_port}"
    nginx = f"http://127.0.0.1:{nginx_port}"
    (static / "ready.json").write_text("{}")
    serve = [*BYLINE, "serve", "--port", str(byline_port), "--workers", "2"]
    varnishd = [
        *("varnishd", "-F", "-f", str(vcl), "-a", f"127.0.0.1:{varnish_port}"),
        *("-n", str(work / "varnish"), "-s", "malloc,256m"),
    ]
    nginxd = [ensure_nginx(), "-c", str(work / "nginx.conf"), "-p", str(work)]
    with (
        started(serve, f"{byline}/readyz", "byline serve", byline_env),
        started(varnishd, f"{varnish}/readyz", "varnishd"),
        started(nginxd, f"{nginx}/ready.json", "nginx"),
    ):
        yield byline, varnish, nginx


def measure(url: str) -> dict[str, float]:
    load.run(url, connections=CONNECTIONS, seconds=1.0, max_requests=REQUESTS)  # warm
    result = load.run(url, connections=CONNECTIONS, seconds=SECONDS, max_requests=REQUESTS)
    if result.errors:
        say(f"  warning: {result.errors} answers other than 200 from {url}")
    return {
        "rps": round(result.rps),
        "p50_ms": round(result.percentile(50), 2),
        "p99_ms": round(result.percentile(99), 2),
        "requests": result.requests,
    }


def purge_delays(byline: str, varnish: str, key: str, ref: str) -> list[float]:
    """Edit the story's headline PURGES times; each time, warm its answer in Varnish first,
    then poll Varnish from the write's answer until the new headline shows."""
    auth = {"Authorization": f"Bearer {key}"}
    delays = []
    with httpx.Client(timeout=30) as client:
        etag = client.get(f"{byline}/v1/articles/{ref}").headers["etag"]
        for n in range(PURGES):
            for _ in range(3):
                if (
                    client.get(f"{varnish}/v1/articles/{ref}").headers.get("x-varnish-cache")
                    == "HIT"
                ):
                    break
            headline = f"Purge timing {n}"
            written = client.patch(
                f"{byline}/v1/articles/{ref}",
                json={"headline": headline},
                headers={**auth, "If-Match": etag},
            )
            written.raise_for_status()
            since = time.perf_counter()
            etag = written.headers["etag"]
            deadline = since + 30
            while headline not in client.get(f"{varnish}/v1/articles/{ref}").text:
                if time.perf_counter() > deadline:
                    sys.exit("a purge did not arrive within 30 s")
                time.sleep(0.002)
            delays.append(time.perf_counter() - since)
    return delays


def main() -> None:
    if shutil.which("varnishd") is None:
        sys.exit("varnishd is needed: apt-get install varnish varnish-modules")
    ensure_nginx()
    with tempfile.TemporaryDirectory(prefix="byline-bench-cdn-") as tmp:
        work = Path(tmp)
        env = {**UNLIMITED, "DATA_DIR": str(work), "DATABASE_URL": f"sqlite:///{work}/byline.db"}
        run_env = {**os.environ, **env}
        subprocess.run([*BYLINE, "migrate"], env=run_env, check=True, capture_output=True)
        say(f"generating {ARTICLES} articles")
        subprocess.run(
            [*BYLINE, "demo", "--articles", str(ARTICLES)],
            env=run_env,
            check=True,
            capture_output=True,
        )
        made = subprocess.run(
            [*BYLINE, "keys", "create", "--name", "bench", "--scope", "content:write"],
            env=run_env,
            check=True,
            capture_output=True,
            text=True,
        )
        key = made.stdout.strip().splitlines()[-1]
        with stack(work, env) as (byline, varnish, nginx):
            first = httpx.get(f"{byline}/v1/articles?limit=1").json()["data"][0]
            paths = {
                "article": f"/v1/articles/{first['id']}",
                "list": "/v1/articles?limit=20",
            }
            rows = []
            for name, path in paths.items():
                # The bytes on the wire, as every reader that accepts gzip gets them.
                with httpx.stream("GET", byline + path, headers={"Accept-Encoding": "gzip"}) as r:
                    wire = b"".join(r.iter_raw())
                (work / "static" / f"{name}.json").write_bytes(wire)
                say(f"{name}: {len(wire)} bytes")
                for target, url in (
                    ("Varnish (hit)", varnish + path),
                    ("Byline direct", byline + path),
                    ("nginx, static file", f"{nginx}/{name}.json"),
                ):
                    say(f"  {target}")
                    rows.append({"read": name, "via": target, "bytes": len(wire), **measure(url)})
            say(f"purge delay, {PURGES} edits")
            delays = purge_delays(byline, varnish, key, first["id"])
    ordered = sorted(delays)
    report = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "settings": {"articles": ARTICLES, "seconds": SECONDS, "connections": CONNECTIONS},
        "reads": rows,
        "commit_to_fresh_ms": {
            "p50": round(statistics.median(ordered) * 1000, 1),
            "p95": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000, 1),
            "max": round(ordered[-1] * 1000, 1),
            "edits": len(ordered),
        },
    }
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(report, indent=2))
    print(table(report))


def table(report: dict) -> str:
    lines = ["| read | via | req/s | p50 ms | p99 ms |", "|---|---|---:|---:|---:|"]
    for row in report["reads"]:
        lines.append(
            f"| {row['read']} ({row['bytes']} B) | {row['via']} | {row['rps']} | "
            f"{row['p50_ms']} | {row['p99_ms']} |"
        )
    fresh = report["commit_to_fresh_ms"]
    lines.append("")
    lines.append(
        f"Commit to a fresh read through Varnish ({fresh['edits']} headline edits): "
        f"p50 {fresh['p50']} ms, p95 {fresh['p95']} ms, max {fresh['max']} ms."
    )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
