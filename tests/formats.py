"""Helpers shared by the format tests: the ninjs validators and a parsed feed."""

import json
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

SCHEMAS = Path(__file__).parent / "schemas" / "ninjs"
NINJS_FILES = {"2.2": "ninjs-schema_2.2.json", "3.1": "ninjs-schema_3.1.json"}


@cache
def ninjs_validator(version: str) -> Draft202012Validator:
    """A strict validator (formats checked) for ninjs `version`, offline."""
    schema = json.loads((SCHEMAS / NINJS_FILES[version]).read_text())
    geojson = json.loads((SCHEMAS / "GeoJSON.json").read_text())
    registry = Registry().with_resource(
        "https://geojson.org/schema/GeoJSON.json", Resource.from_contents(geojson)
    )
    return Draft202012Validator(
        schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def ninjs_errors(document: dict, version: str) -> list[str]:
    """Every way `document` fails the ninjs `version` schema (empty when valid)."""
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in ninjs_validator(version).iter_errors(document)
    ]
