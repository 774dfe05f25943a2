"""Event benchmarks on a fresh SQLite database (or BENCH_DATABASE_URL):

BENCH_DATABASE_URL must name an empty database.

1. Webhook delivery: BENCH_EVENTS (2,000) events already waiting, one `byline worker`
   (default batch and concurrency) delivering them to a local receiver: events a second.
   Then one event every 0.2 s for 10 s: commit-to-receipt latency, which includes the
   worker's poll interval (WEBHOOK_POLL_SECONDS, 1 s).
2. The live stream: BENCH_STREAMS (200) connections to `/v1/feed/stream` on
   `byline serve --workers 2`; five entries committed one a second by another process:
   commit-to-arrival latency over every connection, and the workers' memory.
"""

import asyncio
import http.server
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from sqlalchemy import make_url
from sqlmodel import Session

from bench.writes import free_port

EVENTS = int(os.environ.get("BENCH_EVENTS", "2000"))
STREAMS = int(os.environ.get("BENCH_STREAMS", "200"))
BYLINE = [sys.executable, "-m", "app.cli"]


class _Receiver:
    """Answers 200 at once and notes when each message id arrived."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                receiver.arrived.setdefault(self.headers["webhook-id"], time.time())
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        http.server.ThreadingHTTPServer.request_queue_size = 128  # as a real server's
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"


def _percentiles(values: list[float]) -> str:
    values = sorted(values)
    p = lambda q: values[min(len(values) - 1, int(len(values) * q))]  # noqa: E731
    return (
        f"p50 {statistics.median(values) * 1000:.0f} ms, p95 {p(0.95) * 1000:.0f} ms, "
        f"max {values[-1] * 1000:.0f} ms"
    )


def _emit(session: Session, count: int) -> dict[str, float]:
    from app.events.outbox import emit

    ids = [
        emit(session, "tag.created", subject_type="tag", subject_id=f"t{i}", data={"n": i}).id
        for i in range(count)
    ]
    session.commit()
    committed = time.time()
    return dict.fromkeys(ids, committed)


def webhooks(env: dict[str, str], engine) -> list[str]:
    from app.models import Webhook
    from app.webhooks.signing import new_secret

    receiver = _Receiver()
    with Session(engine) as session:
        session.add(Webhook(id="whk_bench", url=receiver.url, events=["*"], secret=new_secret()))
        session.commit()
        _emit(session, EVENTS)
    started = time.time()
    worker = subprocess.Popen([*BYLINE, "worker"], env=env, stdout=subprocess.DEVNULL)
    try:
        while len(receiver.arrived) < EVENTS and time.time() - started < 300:
            time.sleep(0.05)
        took = max(receiver.arrived.values()) - started
        lines = [
            f"webhooks: {EVENTS} waiting events delivered in {took:.1f} s by one worker "
            f"({EVENTS / took:.0f} events/s, worker start-up included)"
        ]
        committed: dict[str, float] = {}
        with Session(engine) as session:
            for _ in range(50):
                committed.update(_emit(session, 1))
                time.sleep(0.2)
        deadline = time.time() + 10
        while not set(committed) <= set(receiver.arrived) and time.time() < deadline:
            time.sleep(0.05)
        latency = [receiver.arrived[i] - committed[i] for i in committed if i in receiver.arrived]
        lines.append(
            f"webhooks: commit to receipt, {len(latency)} events at 5 a second: "
            f"{_percentiles(latency)}"
        )
        return lines
    finally:
        worker.terminate()
        worker.wait(timeout=20)
        receiver.server.shutdown()


async def _listen(base: str, arrived: dict[str, list[float]], ready: list[int]) -> None:
    async with (
        httpx.AsyncClient(timeout=httpx.Timeout(30, read=None)) as client,
        client.stream("GET", f"{base}/v1/feed/stream") as response,
    ):
        ready.append(response.status_code)
        event = None
        async for line in response.aiter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event == "upsert":
                entry = json.loads(line.split(":", 1)[1])
                arrived.setdefault(entry["id"], []).append(time.time())


def _rss_mb(parent: int) -> list[float]:
    out = subprocess.run(
        ["ps", "-o", "pid=,ppid=,rss=", "-A"], capture_output=True, text=True
    ).stdout
    rows = [line.split() for line in out.splitlines()]
    # The two request workers: the largest children (the rest is multiprocessing's helper).
    return sorted((int(r[2]) / 1024 for r in rows if r[1] == str(parent)), reverse=True)[:2]


def streams(env: dict[str, str], engine) -> list[str]:
    from app.db import utcnow
    from app.ids import new_id
    from app.models import FeedEntry

    port = free_port()
    server = subprocess.Popen(
        [*BYLINE, "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    arrived: dict[str, list[float]] = {}
    ready: list[int] = []
    loop = asyncio.new_event_loop()
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        tasks = [loop.create_task(_listen(base, arrived, ready)) for _ in range(STREAMS)]
        threading.Thread(target=loop.run_forever, daemon=True).start()
        while len(ready) < STREAMS:
            time.sleep(0.1)
        time.sleep(1)
        committed: dict[str, float] = {}
        with Session(engine) as session:
            for i in range(5):
                now = utcnow()
                entry = FeedEntry(
                    id=new_id("fe"), title=f"Live {i}", published_at=now, updated_at=now
                )
                session.add(entry)
                session.commit()
                committed[entry.id] = time.time()
                time.sleep(1)
        deadline = time.time() + 10
        while time.time() < deadline and not all(
            len(arrived.get(i, [])) == STREAMS for i in committed
        ):
            time.sleep(0.1)
        latency = [t - committed[i] for i in committed for t in arrived.get(i, [])]
        memory = ", ".join(f"{m:.0f} MB" for m in _rss_mb(server.pid))
        for task in tasks:
            loop.call_soon_threadsafe(task.cancel)
        return [
            f"stream: {STREAMS} connections, 5 entries, {len(latency)} of "
            f"{5 * STREAMS} arrivals: {_percentiles(latency)}",
            f"stream: worker memory with {STREAMS} streams open: {memory}",
        ]
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="byline-bench-events-"))
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{folder / 'bench.db'}"
    env = {
        **os.environ,
        "DATA_DIR": str(folder),
        "DATABASE_URL": url,
        "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
        "EVENTS_WORKER": "false",
        "RATE_LIMIT_ANONYMOUS": "1000000000",
        "LOG_LEVEL": "warning",
    }
    os.environ.update(env)
    subprocess.run([*BYLINE, "migrate"], env=env, check=True, capture_output=True)
    from app.db import make_engine

    engine = make_engine(url)
    database = make_url(url).get_backend_name()
    print(f"{database}, {os.cpu_count()} cores")
    for line in (*webhooks(env, engine), *streams(env, engine)):
        print(line)


if __name__ == "__main__":
    main()
