"""`fields=` (sparse fieldsets) and `include=` (embedded objects), parsed once for every route."""

from collections.abc import Collection, Iterable
from typing import Annotated, Any

from fastapi import Depends, Query

from app.errors import InvalidParameter


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()] if value else []


class Fields:
    """The fields a client asked for; `id` always comes along so items stay addressable."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = frozenset(names)

    def check(self, known: Collection[str]) -> "Fields":
        unknown = sorted(self.names - set(known))
        if unknown:
            raise InvalidParameter(
                "fields", f"unknown field {unknown[0]!r}; known: {', '.join(sorted(known))}"
            )
        return self

    def apply(self, item: dict[str, Any]) -> dict[str, Any]:
        if not self.names:
            return item
        return {k: v for k, v in item.items() if k == "id" or k in self.names}


def _fields(
    fields: Annotated[
        str | None,
        Query(max_length=1000, description="Comma-separated fields to return (`id` always)."),
    ] = None,
) -> Fields:
    return Fields(_split(fields))


FieldsDep = Annotated[Fields, Depends(_fields)]


def parse_include(value: str | None, known: Collection[str]) -> frozenset[str]:
    names = _split(value)
    for name in names:
        if name not in known:
            raise InvalidParameter(
                "include", f"cannot include {name!r}; choose from: {', '.join(sorted(known))}"
            )
    return frozenset(names)
