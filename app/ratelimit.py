"""Rate limits: a fixed window a minute, in Redis when configured, else in process.

With `REDIS_URL` every worker and host shares one counter per key or client address,
through the `limits` library's atomic Redis scripts. When Redis cannot be reached the
limiter falls back to per-process counters for a few seconds at a time and says so in the
log: a Redis outage loosens limits, it never fails requests.
"""

import logging
import math
import time
from dataclasses import dataclass

from limits import RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import FixedWindowRateLimiter
from limits.errors import StorageError

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


class RateLimiter:
    def __init__(self, redis_url: str = "") -> None:
        self._local = FixedWindowRateLimiter(MemoryStorage())
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
        item = RateLimitItemPerMinute(limit)
        if self._shared is not None and time.monotonic() >= self._shared_down_until:
            try:
                return await self._decide(self._shared, item, identity, policy)
            except StorageError as exc:
                log.warning("rate limit store unreachable, counting in process: %s", exc)
                self._shared_down_until = time.monotonic() + RETRY_SHARED_AFTER
        return await self._decide(self._local, item, identity, policy)

    @staticmethod
    async def _decide(
        limiter: FixedWindowRateLimiter,
        item: RateLimitItemPerMinute,
        identity: str,
        policy: str,
    ) -> Decision:
        allowed = await limiter.hit(item, identity)
        stats = await limiter.get_window_stats(item, identity)
        reset = max(0, math.ceil(stats.reset_time - time.time()))
        return Decision(allowed, policy, item.amount, max(0, stats.remaining), reset)
