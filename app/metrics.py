"""Prometheus metrics: requests, latency and render-cache results, across all workers.

With several workers, `byline serve` points PROMETHEUS_MULTIPROC_DIR at a fresh folder
before they start, and a scrape of any worker adds up every worker's files.
"""

import os
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

REQUESTS = Counter(
    "byline_http_requests_total", "Answered API requests.", ["method", "resource", "status"]
)
LATENCY = Histogram(
    "byline_http_request_duration_seconds",
    "Time to answer an API request.",
    ["resource"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
RENDER_CACHE = Counter(
    "byline_render_cache_total", "Cacheable reads by render-cache outcome.", ["result"]
)

CONTENT_TYPE = CONTENT_TYPE_LATEST


WEBHOOK_ATTEMPTS = Counter(
    "byline_webhook_attempts_total",
    "Webhook delivery attempts by what followed: succeeded, retrying, failed.",
    ["outcome"],
)


def observe(method: str, resource: str, status: int, seconds: float) -> None:
    """One answered request. `resource` is its route's label (`policy.Policy.resource`: a
    closed set, never a raw path); "other" where no route matched."""
    counter = _counters.get((method, resource, status))
    if counter is None:
        counter = _counters[(method, resource, status)] = REQUESTS.labels(
            method, resource, str(status)
        )
    counter.inc()
    histogram = _histograms.get(resource)
    if histogram is None:
        histogram = _histograms[resource] = LATENCY.labels(resource)
    histogram.observe(seconds)


# Each labelled child found once: `labels()` hashes and locks on every call.
_counters: dict[tuple[str, str, int], Any] = {}
_histograms: dict[str, Any] = {}


def exposition() -> bytes:
    """The text exposition of every worker's metrics (or this process's alone)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


PURGE_REQUESTS = Counter(
    "byline_purge_requests_total",
    "Purge requests sent to the CDN, by backend and outcome: succeeded, failed.",
    ["backend", "outcome"],
)
PURGE_KEYS = Counter(
    "byline_purge_keys_total",
    "Surrogate keys the CDN confirmed purged (once per key and batch, whatever the hosts).",
    ["backend"],
)
