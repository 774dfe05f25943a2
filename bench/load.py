"""A small HTTP/1.1 load generator on asyncio streams: keep-alive connections, each
sending GETs one after another, for a bounded time and request count, loopback only.
Lighter per request than an HTTP client library, so the server is what gets measured."""

import asyncio
import time
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass
class Result:
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        """The `p`th percentile latency in ms."""
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] * 1000


async def _read_answer(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = None
    chunked = False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status


async def _connection(url: str, deadline: float, budget: list[int], result: Result) -> None:
    parts = urlsplit(url)
    assert parts.hostname in ("127.0.0.1", "localhost", "::1"), "loopback only"
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nAccept-Encoding: gzip\r\n\r\n"
    ).encode()
    try:
        while budget[0] > 0 and time.perf_counter() < deadline:
            budget[0] -= 1
            started = time.perf_counter()
            writer.write(request)
            status = await _read_answer(reader)
            result.latencies.append(time.perf_counter() - started)
            result.requests += 1
            if status != 200:
                result.errors += 1
    finally:
        writer.close()


async def _run(url: str, connections: int, seconds: float, max_requests: int) -> Result:
    result = Result(0, 0, 0.0, [])
    budget = [max_requests]
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(_connection(url, deadline, budget, result) for _ in range(connections)))
    result.seconds = time.perf_counter() - started
    return result


def run(url: str, *, connections: int, seconds: float, max_requests: int) -> Result:
    """GET `url` over `connections` keep-alive connections until `seconds` or
    `max_requests`, whichever comes first."""
    return asyncio.run(_run(url, connections, seconds, max_requests))
