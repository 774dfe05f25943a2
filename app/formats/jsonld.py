"""schema.org `NewsArticle` JSON-LD of an article, as search engines read it, written so
that it can be pasted into a page's `<script type="application/ld+json">` as it is."""

from typing import Any

from app.formats.service import Logo, Publication
from app.models import Article
from app.responses import dumps

# Inside a <script> element only `</script` (or `<!--`) ends or changes it; escaping every
# `<`, `>` and `&` as JSON does in strings keeps any text, whatever it holds, inside. JSON
# has these characters nowhere but in strings, so the bytes can be replaced as they are.
_SCRIPT_SAFE = ((b"<", b"\\u003c"), (b">", b"\\u003e"), (b"&", b"\\u0026"))
# schema.org's `width` and `height` take a Distance or a QuantitativeValue; a bare number is
# neither. `unitCode` is a UN/CEFACT Common Code, and E37 is the pixel.
PIXEL = "E37"


def script_safe_json(document: dict[str, Any]) -> bytes:
    """`document` as JSON with `<`, `>` and `&` written `\\u003c`, `\\u003e`, `\\u0026`."""
    body = dumps(document)
    for raw, escaped in _SCRIPT_SAFE:
        body = body.replace(raw, escaped)
    return body


def news_article(
    article: Article, out: dict[str, Any], *, publication: Publication
) -> dict[str, Any]:
    """The `NewsArticle` of an article's public JSON `out` (photos are those `out` has:
    a partner gets no image it may not syndicate)."""
    publisher = _publisher(publication)
    doc: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "identifier": out["id"],
        "headline": out["headline"],
        "datePublished": out["published_at"],
        "dateModified": out["updated_at"],
        "author": [_author(a) for a in out["authors"]] or [publisher],
        "publisher": publisher,
        "inLanguage": out["language"],
        "wordCount": out["word_count"],
        "timeRequired": f"PT{out['reading_time_minutes']}M",
        "keywords": [t["name"] for t in out["tags"]],
        "isAccessibleForFree": True,
        "articleBody": article.body_text,
    }
    if out["canonical_url"]:
        doc["url"] = out["canonical_url"]
        doc["mainEntityOfPage"] = {"@type": "WebPage", "@id": out["canonical_url"]}
    if out["subheadline"]:
        doc["alternativeHeadline"] = out["subheadline"]
    if out["summary"]:
        doc["description"] = out["summary"]
    if out["dateline"]:
        doc["dateline"] = out["dateline"]
    if out["section"]:
        doc["articleSection"] = out["section"]["name"]
    photos = [out["lead_photo"]] if out["lead_photo"] else []
    photos += [b["photo"] for b in out["body"] if b["type"] == "photo"]
    if photos:
        doc["image"] = [_image(p) for p in photos]
    return doc


def _publisher(publication: Publication) -> dict[str, Any]:
    node: dict[str, Any] = {
        "@type": "Organization",
        "name": publication.name,
        "url": publication.url,
    }
    if publication.logo is not None:
        node["logo"] = _logo(publication.logo)
    return node


def _logo(logo: Logo) -> dict[str, Any]:
    image: dict[str, Any] = {"@type": "ImageObject", "url": logo.url, "contentUrl": logo.url}
    if logo.width:
        image["width"] = pixels(logo.width)
    if logo.height:
        image["height"] = pixels(logo.height)
    return image


def pixels(value: int) -> dict[str, Any]:
    """A size in pixels as schema.org's `QuantitativeValue`."""
    return {"@type": "QuantitativeValue", "value": value, "unitCode": PIXEL}


def _author(author: dict[str, Any]) -> dict[str, Any]:
    # A collective desk signs as the organisation it is, not as a person.
    kind = "Person" if author["kind"] == "person" else "Organization"
    node = {"@type": kind, "name": author["name"]}
    if author["url"]:
        node["url"] = author["url"]
    if author["job_title"] and kind == "Person":
        node["jobTitle"] = author["job_title"]
    return node


def _image(photo: dict[str, Any]) -> dict[str, Any]:
    image: dict[str, Any] = {
        "@type": "ImageObject",
        "url": photo["url"],
        "contentUrl": photo["url"],
    }
    for key, name in (
        ("caption", "caption"),
        ("credit", "creditText"),
        ("alt_text", "description"),
        ("mime_type", "encodingFormat"),
    ):
        if photo[key]:
            image[name] = photo[key]
    for name in ("width", "height"):
        if photo[name]:
            image[name] = pixels(photo[name])
    if photo["photographer"]:
        image["creator"] = {"@type": "Person", "name": photo["photographer"]}
    holder = photo["rights"]["copyright_holder"]
    if holder:
        image["copyrightHolder"] = {"@type": "Organization", "name": holder}
    if photo["rights"]["usage_terms"]:
        image["copyrightNotice"] = photo["rights"]["usage_terms"]
    return image
