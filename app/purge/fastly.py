"""Fastly's purge by surrogate key: `POST {PURGE_FASTLY_URL}/service/{id}/purge` with the
keys as `{"surrogate_keys": [...]}` (up to 256 a request), the token in `Fastly-Key`,
and `Fastly-Soft-Purge: 1` for soft purges (objects marked stale, not removed)."""

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

import orjson

from app.purge.base import Request, batches

# Fastly's limit for one batch purge.
MAX_KEYS = 256


@dataclass(frozen=True)
class Fastly:
    base_url: str
    service_id: str
    token: str
    soft: bool = False
    name: str = "fastly"

    @classmethod
    def of(cls, base_url: str, service_id: str, token: str, *, soft: bool) -> "Fastly":
        if not service_id or not token:
            raise ValueError(
                "PURGE_BACKEND=fastly needs PURGE_FASTLY_SERVICE_ID and PURGE_FASTLY_TOKEN"
            )
        return cls(base_url.rstrip("/"), service_id, token, soft)

    def requests(self, keys: Sequence[str]) -> list[Request]:
        """One batch purge per 256 keys; the body has no header's length limit."""
        url = f"{self.base_url}/service/{quote(self.service_id, safe='')}/purge"
        headers = {
            "fastly-key": self.token,
            "content-type": "application/json",
            "accept": "application/json",
        }
        if self.soft:
            headers["fastly-soft-purge"] = "1"
        return [
            Request(
                "POST",
                url,
                headers,
                orjson.dumps({"surrogate_keys": run}),
                keys=tuple(run),
            )
            for run in batches(keys, max_keys=MAX_KEYS, max_chars=1 << 30)
        ]
