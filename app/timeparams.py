"""Times given in query parameters."""

from datetime import UTC, datetime


def as_utc(value: datetime | None) -> datetime | None:
    """An aware UTC time; a time given without an offset is taken as UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
