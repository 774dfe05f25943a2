"""How many items an answer served: set by whatever builds the answer (the envelopes, the
formats), kept with a cached answer, and read by the edge, which counts a partner's usage
by it (`GET /v1/keys/{id}/usage`). It travels in the ASGI scope's state, under one name."""

from typing import Any

_KEY = "items"


def count_served(scope: Any, items: int) -> None:
    """This answer serves `items` objects (a list: its length; one object: 1)."""
    scope.setdefault("state", {})[_KEY] = items


def items_served(scope: Any) -> int:
    """What the answer said it served; 0 when nothing set it (errors, non-content)."""
    return int(scope.get("state", {}).get(_KEY, 0))
