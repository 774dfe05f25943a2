"""Benchmark harnesses that need more than Byline itself (a CDN, a static server)."""
