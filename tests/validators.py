"""Helpers shared by the format tests: the ninjs validators and the sitemap schema."""

import json
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator
from lxml import etree
from referencing import Registry, Resource

SCHEMAS = Path(__file__).parent / "schemas" / "ninjs"
SITEMAP_SCHEMAS = Path(__file__).parent / "schemas" / "sitemaps"
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


@cache
def news_sitemap_schema() -> etree.XMLSchema:
    """The sitemaps.org 0.9 schema and Google's News extension as one schema, offline: the
    core schema takes `news:news` in a `url` strictly, so it must know the extension."""
    imports = "".join(
        f'<xsd:import namespace="{ns}" schemaLocation="{(SITEMAP_SCHEMAS / name).as_uri()}"/>'
        for ns, name in (
            ("http://www.sitemaps.org/schemas/sitemap/0.9", "sitemap.xsd"),
            ("http://www.google.com/schemas/sitemap-news/0.9", "sitemap-news.xsd"),
        )
    )
    both = f'<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema">{imports}</xsd:schema>'
    return etree.XMLSchema(etree.fromstring(both))


def news_sitemap_errors(body: bytes) -> list[str]:
    """Every way `body` fails the sitemap and News sitemap schemas (empty when valid)."""
    schema = news_sitemap_schema()
    if schema.validate(etree.fromstring(body)):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]
