"""What every purge backend is: a name, and the HTTP requests that purge a set of keys."""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Request:
    """One HTTP request a backend asks for; the sender sends it and wants a 2xx back."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes = b""
    # The keys this request purges (for the log and the metrics).
    keys: tuple[str, ...] = ()


class Backend(Protocol):
    """A cache that purges by surrogate key."""

    name: str

    def requests(self, keys: Sequence[str]) -> list[Request]:
        """The requests that purge every one of `keys` (distinct, sorted) everywhere."""
        ...


def batches(keys: Sequence[str], *, max_keys: int, max_chars: int) -> Iterator[list[str]]:
    """`keys` in runs of at most `max_keys` whose space-joined length stays within
    `max_chars` (a header's limit); a key longer than that alone goes on its own."""
    run: list[str] = []
    length = 0
    for key in keys:
        extra = len(key) + (1 if run else 0)
        if run and (len(run) >= max_keys or length + extra > max_chars):
            yield run
            run, length = [], 0
            extra = len(key)
        run.append(key)
        length += extra
    if run:
        yield run
