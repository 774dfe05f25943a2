"""Start-up time of `byline serve`: from the command to the first 200 on /readyz once every
worker has started (uvicorn logs "Application startup complete." once per worker).

`python -m bench.startup` measures it against BENCH_DATABASE_URL (default: the benchmark's
SQLite file for BENCH_ARTICLES) with BENCH_WORKERS (2) workers, BENCH_STARTS (3) times.
"""

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

import httpx

STARTED = b"Application startup complete."
WITHIN_SECONDS = 180


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure(env: dict[str, str], *, workers: int = 2, cwd: str | None = None) -> dict[str, Any]:
    """Start `byline serve --workers N` once; seconds until each worker had started and until
    /readyz first answered 200 with all of them up. The server is stopped before returning."""
    port = free_port()
    command = [sys.executable, "-m", "app.cli", "serve", "--workers", str(workers)]
    started_at: list[float] = []
    with tempfile.TemporaryFile() as log:
        began = time.monotonic()
        process = subprocess.Popen(
            [*command, "--port", str(port)],
            env={**os.environ, **env, "LOG_LEVEL": "info"},
            stdout=log,
            stderr=subprocess.PIPE,
            cwd=cwd,
        )

        def watch() -> None:
            assert process.stderr is not None
            for line in process.stderr:
                log.write(line)
                if STARTED in line:
                    started_at.append(time.monotonic() - began)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        try:
            while True:
                if len(started_at) >= workers:
                    try:
                        if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=10).is_success:
                            ready = time.monotonic() - began
                            break
                    except httpx.TransportError:
                        pass
                if process.poll() is not None or time.monotonic() - began > WITHIN_SECONDS:
                    log.seek(0)
                    sys.exit("server did not start:\n" + log.read().decode(errors="replace"))
                time.sleep(0.01)
        finally:
            process.terminate()
            process.wait(timeout=60)
    return {
        "ready_s": round(ready, 2),
        "workers_started_s": [round(t, 2) for t in started_at[:workers]],
    }


def main() -> None:
    from bench.run import database_url, prepare

    url = database_url()
    prepare(url)
    workers = int(os.environ.get("BENCH_WORKERS", "2"))
    for _ in range(int(os.environ.get("BENCH_STARTS", "3"))):
        print(measure({"DATABASE_URL": url}, workers=workers), flush=True)


if __name__ == "__main__":
    main()
