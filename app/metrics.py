"""Prometheus metrics: requests, latency and render-cache results, across all workers.

With several workers, `byline serve` points PROMETHEUS_MULTIPROC_DIR at a fresh folder
before they start, and a scrape of any worker adds up every worker's files.
"""

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

# A closed set of labels: one per resource of the API, never a raw path.
RESOURCES = frozenset(
    {
        "articles",
        "authors",
        "photos",
        "sections",
        "tags",
        "feed",
        "feeds",
        "site",
        "keys",
        "sync",
        "popular",
        "sitemaps",
        "audit",
        "webhooks",
        "stream",
    }
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
STREAM_PATH = "/v1/feed/stream"


def resource_of(path: str) -> str:
    """`/v1/articles/x` -> `articles`; anything unknown -> `other`. The live stream is a
    resource of its own: its "latency" is how long a connection stayed."""
    if path == STREAM_PATH:
        return "stream"
    parts = path.split("/", 3)
    return parts[2] if len(parts) > 2 and parts[2] in RESOURCES else "other"


def observe(method: str, path: str, status: int, seconds: float) -> None:
    resource = resource_of(path)
    REQUESTS.labels(method, resource, str(status)).inc()
    LATENCY.labels(resource).observe(seconds)


def exposition() -> bytes:
    """The text exposition of every worker's metrics (or this process's alone)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)
