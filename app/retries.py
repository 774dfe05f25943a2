"""How long a failed delivery waits before its next try: webhooks and cache purges alike."""

import random

from app.config import Settings


def backoff(attempt: int, settings: Settings, *, rng: random.Random | None = None) -> float:
    """Seconds to wait after failed attempt number `attempt` (1, 2, ...): the base, four
    times longer each time, capped, with ±20% jitter so that retries do not arrive in step."""
    delay = min(
        settings.webhook_retry_base_seconds * 4 ** (attempt - 1), settings.webhook_retry_max_seconds
    )
    return float(delay * (rng or random).uniform(0.8, 1.2))
