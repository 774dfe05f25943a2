"""Benchmark harnesses (`make bench`, `bench-writes`, `bench-events`, `bench-cdn`, `soak`).

Kept out of the `app` package: nothing in `app/` imports them and the wheel does not ship them.
"""
