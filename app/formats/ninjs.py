"""IPTC ninjs 2.2 and 3.1 of an article, valid against the IPTC schemas.

The document is built once in 3.1's spelling; 2.2 is the same document with every
property name in lower case (ninjs moved to camelCase in 3.0), `embargoedUntil` called
`embargoed`, and associations without `rel` (added in 3.0).
"""

from datetime import datetime
from typing import Any

from app.formats.service import Publication
from app.models import Article, ArticleStatus

SCHEMAS = {
    "2.2": "http://www.iptc.org/std/ninjs/ninjs-schema_2.2.json",
    "3.1": "http://www.iptc.org/std/ninjs/ninjs-schema_3.1.json",
}
_PUBSTATUS = {
    ArticleStatus.published.value: "usable",
    ArticleStatus.unpublished.value: "canceled",
}
_V2_NAMES = {"embargoedUntil": "embargoed"}


def ninjs(
    article: Article,
    out: dict[str, Any],
    *,
    publication: Publication,
    uri: str,
    photo_uris: dict[str, str],
    now: datetime,
    version: str,
) -> dict[str, Any]:
    """The ninjs `version` ("2.2" or "3.1") of an article's public JSON `out`.

    `out` is what the JSON API gives this reader, so photos a partner may not syndicate
    are not there to map; `article` adds the plain-text body and the embargo time.
    """
    doc = _ninjs3(article, out, publication=publication, uri=uri, photo_uris=photo_uris, now=now)
    doc["standard"] = {"name": "ninjs", "version": version, "schema": SCHEMAS[version]}
    return doc if version == "3.1" else _to_v2(doc)


def _ninjs3(
    article: Article,
    out: dict[str, Any],
    *,
    publication: Publication,
    uri: str,
    photo_uris: dict[str, str],
    now: datetime,
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "uri": uri,
        "type": "text",
        "representationType": "full",
        "version": str(out["version"]),
        "versionCreated": _time(out["updated_at"]),
        "pubStatus": _PUBSTATUS.get(out["status"], "withheld"),
        "language": out["language"],
        "copyrightHolder": publication.name,
        "headlines": [{"role": "main", "contentType": "text/plain", "value": out["headline"]}],
        "altIds": [{"role": "id", "value": out["id"]}, {"role": "slug", "value": out["slug"]}],
    }
    if out["first_published_at"]:
        doc["firstCreated"] = _time(out["first_published_at"])
    # Only readers allowed to see a story early (partners with advance access, previews)
    # ever get it while the embargo holds; they are told until when.
    if article.embargo_until is not None and article.embargo_until > now:
        doc["embargoedUntil"] = _time(article.embargo_until)
    if out["subheadline"]:
        doc["headlines"].append(
            {"role": "sub", "contentType": "text/plain", "value": out["subheadline"]}
        )
    if out["summary"]:
        doc["descriptions"] = [
            {"role": "summary", "contentType": "text/plain", "value": out["summary"]}
        ]
    # ninjs counts the text, not the markup: both bodies have the plain text's counts.
    counts = {"charCount": len(article.body_text), "wordCount": out["word_count"]}
    doc["bodies"] = [
        {"role": "main", "contentType": "text/html", "value": out["body_html"], **counts},
        {"role": "main", "contentType": "text/plain", "value": article.body_text, **counts},
    ]
    authors = out["authors"]
    if authors:
        doc["by"] = ", ".join(a["name"] for a in authors)
        people = [_party(a) for a in authors if a["kind"] == "person"]
        desks = [_party(a) for a in authors if a["kind"] != "person"]
        if people:
            doc["people"] = people
        if desks:
            doc["organisations"] = desks
    if out["dateline"]:
        doc["located"] = out["dateline"]
    subjects = []
    if out["section"]:
        subjects.append(
            {"name": out["section"]["name"], "rel": "section", "literal": out["section"]["slug"]}
        )
    subjects += [{"name": t["name"], "rel": "tag", "literal": t["slug"]} for t in out["tags"]]
    if subjects:
        doc["subjects"] = subjects
    if out["type"] != "article":
        doc["genres"] = [{"name": out["type"].capitalize(), "literal": out["type"]}]
    if out["canonical_url"]:
        doc["renditions"] = [
            {"name": "web", "href": out["canonical_url"], "contentType": "text/html"}
        ]
    associations = _associations(out, photo_uris)
    if associations:
        doc["associations"] = associations
    if out["corrections"]:
        doc["edNote"] = " ".join(
            f"Correction {_time(c['created_at'])}: {c['text']}" for c in out["corrections"]
        )
    return doc


def _time(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _party(author: dict[str, Any]) -> dict[str, Any]:
    party = {"name": author["name"], "rel": author["role"], "literal": author["slug"]}
    if author["url"]:
        party["uri"] = author["url"]
    return party


def _associations(out: dict[str, Any], photo_uris: dict[str, str]) -> list[dict[str, Any]]:
    """The lead photo and the body's photos, as `out` has them: only those this reader may
    receive."""
    found: list[tuple[str, str, dict[str, Any]]] = []
    if out["lead_photo"]:
        found.append(("leadphoto", "lead", out["lead_photo"]))
    body_photos = [b["photo"] for b in out["body"] if b["type"] == "photo"]
    found += [(f"bodyphoto{n}", "inline", p) for n, p in enumerate(body_photos, start=1)]
    return [_picture(name, rel, photo, photo_uris[photo["id"]]) for name, rel, photo in found]


def _picture(name: str, rel: str, photo: dict[str, Any], uri: str) -> dict[str, Any]:
    rights = photo["rights"]
    picture: dict[str, Any] = {
        "name": name,
        "rel": rel,
        "uri": uri,
        "type": "picture",
        "representationType": "full",
        "version": str(photo["version"]),
        "versionCreated": _time(photo["updated_at"]),
        "altIds": [{"role": "id", "value": photo["id"]}],
    }
    descriptions = []
    if photo["caption"]:
        descriptions.append(
            {"role": "caption", "contentType": "text/plain", "value": photo["caption"]}
        )
    if photo["alt_text"]:
        descriptions.append(
            {"role": "alternative", "contentType": "text/plain", "value": photo["alt_text"]}
        )
    if descriptions:
        picture["descriptions"] = descriptions
    if photo["photographer"]:
        picture["by"] = photo["photographer"]
        picture["people"] = [{"name": photo["photographer"], "rel": "photographer"}]
    if photo["credit"]:
        picture["copyrightNotice"] = photo["credit"]
    if rights["copyright_holder"]:
        picture["copyrightHolder"] = rights["copyright_holder"]
    if rights["usage_terms"]:
        picture["usageTerms"] = rights["usage_terms"]
    if photo["agency"]:
        picture["infoSources"] = [{"name": photo["agency"], "role": "agency"}]
    picture["renditions"] = [_rendition("original", photo["url"], photo)] + [
        _rendition(f"w{r['width']}", r["url"], {**r, "mime_type": photo["mime_type"]})
        for r in photo["renditions"]
    ]
    return picture


def _rendition(name: str, href: str, size: dict[str, Any]) -> dict[str, Any]:
    rendition: dict[str, Any] = {"name": name, "href": href}
    if size.get("mime_type"):
        rendition["contentType"] = size["mime_type"]
    for key in ("width", "height"):
        if size.get(key):
            rendition[key] = int(size[key])
    return rendition


def _to_v2(value: Any, *, association: bool = False) -> Any:
    """3.1's spelling as 2.2's: lower-case property names, `embargoed`, associations
    without `rel`."""
    if isinstance(value, list):
        return [_to_v2(v, association=association) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        if association and key == "rel":
            continue
        out[_V2_NAMES.get(key, key.lower())] = _to_v2(item, association=key == "associations")
    return out
