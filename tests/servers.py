"""Real `byline serve` processes for end-to-end tests."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

BYLINE = [sys.executable, "-m", "app.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_server(*, workers: int = 1, **env: str) -> Iterator[str]:
    """Start `byline serve` on a free port with extra environment; yield its base URL."""
    with serving(workers=workers, **env) as (base, _server):
        yield base


@contextmanager
def serving(*, workers: int = 1, **env: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`running_server`, yielding its process too (to kill it)."""
    port = free_port()
    server = subprocess.Popen(
        [*BYLINE, "serve", "--port", str(port), "--workers", str(workers)],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, "server exited"
            assert time.monotonic() < deadline, "server did not become ready"
            time.sleep(0.1)
        yield base, server
    finally:
        server.terminate()
        server.wait(timeout=20)
