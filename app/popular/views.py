"""View beacons counted in memory per worker and written about once a second.

A beacon costs a dictionary increment, not a database write: each flush adds the counts
to one row per article and hour (`service.add_views`). A flush happens on a timer thread
and when the application shuts down, never in a read: `/v1/popular` writes nothing. Views of a
worker that dies without shutting down (at most a second's) are lost: they are an
estimate, not a ledger.
"""

import logging
import threading
import time
from collections import Counter
from datetime import datetime

from sqlmodel import Session

from app.config import get_settings
from app.db import get_engine, utcnow
from app.popular.service import add_views, hour_of

log = logging.getLogger("byline.views")

# Counts kept for retry while the database is unreachable, at most this many (article, hour).
MAX_PENDING = 100_000


class ViewCounter:
    def __init__(self) -> None:
        self._pending: Counter[tuple[str, datetime]] = Counter()
        self._lock = threading.Lock()
        self._flushing = threading.Lock()
        self._timer: threading.Thread | None = None
        self._flushed_at = time.monotonic()

    def add(self, article_id: str) -> None:
        """Count one view of `article_id` now."""
        with self._lock:
            self._pending[(article_id, hour_of(utcnow()))] += 1
        interval = get_settings().views_flush_seconds
        if interval <= 0:
            self.flush()
        elif self._timer is None:
            self._start()

    def flush(self) -> int:
        """Write what has been counted; returns how many views were written."""
        with self._flushing:  # one writer at a time, so counts are never added twice
            with self._lock:
                batch, self._pending = self._pending, Counter()
            self._flushed_at = time.monotonic()
            if not batch:
                return 0
            try:
                with Session(get_engine()) as session:
                    add_views(session, counts=batch)
                    session.commit()
            except Exception:
                log.exception("could not write %d view counts; keeping them", len(batch))
                with self._lock:
                    if len(self._pending) < MAX_PENDING:
                        self._pending.update(batch)
                return 0
            return sum(batch.values())

    def _start(self) -> None:
        with self._lock:
            if self._timer is not None:
                return
            self._timer = threading.Thread(target=self._run, name="byline-views", daemon=True)
        self._timer.start()

    def _run(self) -> None:
        while True:
            # The interval is read afresh each time, so a changed setting takes effect.
            interval = get_settings().views_flush_seconds
            time.sleep(min(max(interval, 0.05), 1.0))
            if time.monotonic() - self._flushed_at < interval:
                continue
            try:
                self.flush()
            except Exception:  # never let the timer die
                log.exception("view flush failed")


counter = ViewCounter()
