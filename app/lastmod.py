"""Last-Modified: when what an answer holds last changed.

While the edge renders an answer, every content row the request loads is dated (its
`updated_at`, and for stories and News Feed entries the publication and embargo times that
have passed); the answer changed at the latest of those, or when anything last left what
readers see (`State.removed_at`: a deletion, an unpublication, a story moved out of a list),
whichever is later. A write elsewhere moves neither, so `If-Modified-Since` keeps getting
304 for an answer that did not change. An answer whose contents its rows cannot date (a
total, counted over rows it does not show) says so with `undated()` and takes the time of
the last write of any kind.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event

from app.db import utcnow
from app.generation import CONTENT_MODELS, State
from app.models import Article, FeedEntry


@dataclass
class Dating:
    """What the rows of one answer say of its age."""

    latest: datetime | None = None
    undated: bool = False

    def saw(self, when: datetime | None) -> None:
        if when is not None and (self.latest is None or when > self.latest):
            self.latest = when

    def changed_at(self, state: State) -> datetime:
        """When the answer last changed: its rows' latest time, or the latest removal,
        never after the state it was rendered at."""
        if self.undated or self.latest is None:
            return state.changed_at
        latest = max(self.latest, state.removed_at) if state.removed_at else self.latest
        return min(latest, state.changed_at)


_dating: ContextVar[Dating | None] = ContextVar("byline_dating", default=None)


@contextmanager
def dating() -> Iterator[Dating]:
    """Date the rows loaded within (the request's threads share it)."""
    found = Dating()
    token = _dating.set(found)
    try:
        yield found
    finally:
        _dating.reset(token)


def undated() -> None:
    """The answer being rendered shows something its rows cannot date."""
    found = _dating.get()
    if found is not None:
        found.undated = True


def _loaded(target: Any, _context: Any) -> None:
    found = _dating.get()
    if found is None:
        return
    # Only what the query loaded: reading an unloaded column here would query again.
    loaded = vars(target)
    found.saw(loaded.get("updated_at"))
    if isinstance(target, Article | FeedEntry):
        now = utcnow()
        for moment in (loaded.get("published_at"), loaded.get("embargo_until")):
            if moment is not None and moment <= now:
                found.saw(moment)


for _model in CONTENT_MODELS:
    event.listen(_model, "load", _loaded)
