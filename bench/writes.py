"""The editorial write benchmark: one editor's create, PATCH (If-Match) and publish, in turn,
against `byline serve` (one worker) on a fresh SQLite database with the demo content.

Environment: BENCH_WRITES (200 articles). Prints median and 95th percentile per step.
"""

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlmodel import Session

COUNT = int(os.environ.get("BENCH_WRITES", "200"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="byline-bench-writes-"))
    port = free_port()
    env = {
        **os.environ,
        "DATA_DIR": str(folder),
        "DATABASE_URL": f"sqlite:///{folder / 'bench.db'}",
        "RATE_LIMIT_KEY": "1000000000",
        "LOG_LEVEL": "warning",
    }
    byline = [sys.executable, "-m", "app.cli"]
    subprocess.run([*byline, "migrate"], env=env, check=True, capture_output=True)
    subprocess.run([*byline, "demo"], env=env, check=True, capture_output=True)
    os.environ.update(env)
    from app.db import make_engine
    from app.keys.service import create_key
    from app.models import Scope

    with Session(make_engine(env["DATABASE_URL"])) as session:
        secret = create_key(session, name="bench", scopes=[Scope.content_write]).secret
    server = subprocess.Popen(
        [*byline, "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        client = httpx.Client(
            base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {secret}"}
        )
        for _ in range(100):
            try:
                if client.get("/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        print(run(client))
    finally:
        server.terminate()
        server.wait(timeout=20)


def run(client: httpx.Client) -> str:
    body = [{"type": "paragraph", "html": "Word " * 60} for _ in range(8)]
    steps: dict[str, list[float]] = {"create": [], "patch": [], "publish": []}

    def timed(step: str, send) -> httpx.Response:
        started = time.perf_counter()
        response = send()
        steps[step].append((time.perf_counter() - started) * 1000)
        assert response.status_code < 300, response.text
        return response

    for i in range(COUNT):
        created = timed(
            "create",
            lambda i=i: client.post(
                "/v1/articles",
                json={
                    "headline": f"Story {i}",
                    "body": body,
                    "section": "news",
                    "tags": ["russia"],
                    "authors": ["kyiv-independent-news-desk"],
                },
            ),
        )
        ref, etag = created.json()["data"]["id"], created.headers["etag"]
        timed(
            "patch",
            lambda ref=ref, etag=etag: client.patch(
                f"/v1/articles/{ref}", json={"headline": "Changed"}, headers={"If-Match": etag}
            ),
        )
        timed("publish", lambda ref=ref: client.post(f"/v1/articles/{ref}/publish"))
    lines = [f"{COUNT} articles, 8 paragraphs each, SQLite, 1 worker"]
    for step, times in steps.items():
        times.sort()
        lines.append(
            f"{step:8} median {statistics.median(times):6.1f} ms   "
            f"p95 {times[int(len(times) * 0.95)]:6.1f} ms"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
