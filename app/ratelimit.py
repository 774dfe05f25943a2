"""Rate limits: a fixed window a minute, in Redis when configured, else in process.

With `REDIS_URL` every worker and host shares one counter per key or client address,
through the `limits` library's atomic Redis scripts. When Redis cannot be reached the
limiter falls back to per-process counters for a few seconds at a time and says so in the
log: a Redis outage loosens limits, it never fails requests.

Counted in process (no Redis, or Redis unreachable), each of the server's worker processes
enforces its share of a limit: the limit divided by the number of workers `byline serve`
started (it says so in `WEB_CONCURRENCY`, the variable uvicorn reads), rounded down, at
least one. The workers together then allow the documented limit, never more (a client
whose requests all reach one worker gets that worker's share). The headers name the
documented limit; what remains is this worker's remainder scaled up by the same number.
Several hosts without Redis each allow the limit: use Redis for more than one host.
"""

import logging
import math
import os
import time
from dataclasses import dataclass
from functools import lru_cache

from limits import RateLimitItemPerMinute
from limits.aio.storage import RedisStorage, Storage
from limits.aio.strategies import FixedWindowRateLimiter
from limits.errors import StorageError
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter as LocalFixedWindowRateLimiter
from limits.util import WindowStats

log = logging.getLogger("byline.ratelimit")

RETRY_SHARED_AFTER = 5.0  # seconds on in-process counters after a Redis failure


@dataclass(frozen=True)
class Decision:
    allowed: bool
    policy: str
    limit: int
    remaining: int
    reset: int  # seconds until the window ends

    def headers(self) -> list[tuple[bytes, bytes]]:
        """IETF `RateLimit-Policy`/`RateLimit` fields and the `RateLimit-*` triple."""
        return [
            (b"ratelimit-policy", f'"{self.policy}";q={self.limit};w=60'.encode()),
            (b"ratelimit", f'"{self.policy}";r={self.remaining};t={self.reset}'.encode()),
            (b"ratelimit-limit", str(self.limit).encode()),
            (b"ratelimit-remaining", str(self.remaining).encode()),
            (b"ratelimit-reset", str(self.reset).encode()),
        ]


def worker_processes() -> int:
    """How many worker processes share this host's in-process counters."""
    try:
        return max(1, int(os.environ.get("WEB_CONCURRENCY", "1")))
    except ValueError:
        return 1


class RateLimiter:
    def __init__(self, redis_url: str = "", *, workers: int | None = None) -> None:
        self.workers = workers or worker_processes()
        # In process nothing waits: the synchronous limiter, without a coroutine a call.
        self._local = LocalFixedWindowRateLimiter(MemoryStorage())
        self._shared: FixedWindowRateLimiter | None = None
        self._shared_down_until = 0.0
        if redis_url:
            storage: Storage = RedisStorage(
                "async+" + redis_url,
                implementation="redispy",
                wrap_exceptions=True,
                socket_timeout=0.25,
                socket_connect_timeout=0.25,
            )
            self._shared = FixedWindowRateLimiter(storage)

    async def hit(self, identity: str, *, limit: int, policy: str) -> Decision:
        """Count one request of `identity` against `limit` a minute."""
        if self._shared is not None and time.monotonic() >= self._shared_down_until:
            try:
                item = _per_minute(limit)
                allowed = await self._shared.hit(item, identity)
                stats = await self._shared.get_window_stats(item, identity)
                return _decision(allowed, stats, policy, limit, 1)
            except StorageError as exc:
                log.warning("rate limit store unreachable, counting in process: %s", exc)
                self._shared_down_until = time.monotonic() + RETRY_SHARED_AFTER
        share = _per_minute(max(1, limit // self.workers))
        allowed = self._local.hit(share, identity)
        stats = self._local.get_window_stats(share, identity)
        return _decision(allowed, stats, policy, limit, self.workers)


@lru_cache(maxsize=64)
def _per_minute(limit: int) -> RateLimitItemPerMinute:
    return RateLimitItemPerMinute(limit)


def _decision(allowed: bool, stats: WindowStats, policy: str, limit: int, scale: int) -> Decision:
    reset = max(0, math.ceil(stats.reset_time - time.time()))
    remaining = min(limit, max(0, stats.remaining) * scale)
    return Decision(allowed, policy, limit, remaining, reset)
