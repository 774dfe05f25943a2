"""Times given in query parameters."""

import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import BeforeValidator

_ISO_8601 = re.compile(
    r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|z|[+-]\d{2}(:?\d{2})?)?"
)


def iso_8601(value: object) -> object:
    """A time as an ISO 8601 string (or already a time); a bare number, which would pass
    as seconds since 1970, is refused: the document says date-time."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_8601.fullmatch(value.strip()):
        return value.strip()
    raise ValueError("expected an ISO 8601 time, such as 2025-05-25T14:16:00Z")


# A time in a query parameter: ISO 8601 only (`2025-05-25`, `2025-05-25T14:16:00Z`).
QueryTime = Annotated[datetime, BeforeValidator(iso_8601)]


def as_utc(value: datetime | None) -> datetime | None:
    """An aware UTC time; a time given without an offset is taken as UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
