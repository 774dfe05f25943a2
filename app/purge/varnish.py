"""Varnish with the `xkey` vmod: `PURGE /` to every configured host, the keys in an
`xkey-purge` header (`xkey-softpurge` for soft purges), as `deploy/varnish/byline.vcl`
accepts from the hosts in its `purgers` ACL."""

from collections.abc import Sequence
from dataclasses import dataclass

from app.purge.base import Request, batches

# Varnish refuses a request header longer than `http_req_hdr_len` (8 KiB by default); a
# purge header stays well inside it, with room for the request's other headers.
MAX_HEADER_CHARS = 4000
MAX_KEYS = 256


@dataclass(frozen=True)
class Varnish:
    urls: tuple[str, ...]
    soft: bool = False
    name: str = "varnish"

    @classmethod
    def of(cls, urls: str, *, soft: bool) -> "Varnish":
        """From `PURGE_VARNISH_URLS`: comma-separated `http://host:port` addresses."""
        found = tuple(url.strip().rstrip("/") for url in urls.split(",") if url.strip())
        if not found:
            raise ValueError("PURGE_BACKEND=varnish needs PURGE_VARNISH_URLS")
        return cls(urls=found, soft=soft)

    def requests(self, keys: Sequence[str]) -> list[Request]:
        """One `PURGE` per host and run of keys: every host keeps its own cache."""
        header = "xkey-softpurge" if self.soft else "xkey-purge"
        return [
            Request("PURGE", f"{url}/", {header: " ".join(run)}, keys=tuple(run))
            for run in batches(keys, max_keys=MAX_KEYS, max_chars=MAX_HEADER_CHARS)
            for url in self.urls
        ]
