"""RSS 2.0 with Media RSS, Atom 1.0 (both through feedgen) and JSON Feed 1.1.

Items are built from the public article JSON (`article_out`), so a feed shows a reader
what the API shows them: a partner's feed has no story outside its sections and tags and
no photo it may not syndicate.

Plain text stays text in every format, whatever a row holds: RSS readers take a
`description` for HTML, so plain text goes there HTML-escaped; Atom says `type="text"`;
titles, names and Media RSS text are text in both (escaped once, as XML does).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from app.formats.common import xml_text
from app.formats.service import Publication
from app.responses import dumps

if TYPE_CHECKING:
    from feedgen.feed import FeedGenerator

MEDIA_NS = "http://search.yahoo.com/mrss/"
ATOM_NS = "http://www.w3.org/2005/Atom"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"


@dataclass(frozen=True)
class FeedInfo:
    """The feed as a whole: who publishes it, what it covers, where it lives."""

    publication: Publication
    title: str
    description: str
    feed_id: str  # the feed's URL without parameters: stable whatever the limit or key
    self_url: str  # the URL as requested, less any `api_key`
    updated: datetime
    tag_scheme: str
    section_scheme: str


@dataclass(frozen=True)
class FeedItem:
    """One article: its public JSON, its stable identifier, and the embargo it is still
    under (only a partner with advance access ever gets such an item)."""

    uri: str
    article: dict[str, Any]
    embargoed_until: datetime | None = None


@cache
def _extensions() -> dict[str, tuple[type, type]]:
    """feedgen's extensions for Byline's feeds; feedgen (and lxml under it) is imported the
    first time a feed is rendered, not when the service starts."""
    from feedgen.ext.base import BaseEntryExtension, BaseExtension
    from feedgen.util import xml_elem

    class _MediaFeed(BaseExtension):
        def extend_ns(self) -> dict[str, str]:
            return {"media": MEDIA_NS}

    class _MediaEntry(BaseEntryExtension):
        """Media RSS for a lead photo: feedgen's own media extension has no credit or caption."""

        def __init__(self) -> None:
            self.photo: dict[str, Any] | None = None

        def extend_rss(self, item: Any) -> Any:
            photo = self.photo
            if photo is None:
                return item
            content = xml_elem(f"{{{MEDIA_NS}}}content", item, url=photo["url"], medium="image")
            for name in ("mime_type", "width", "height"):
                if photo[name]:
                    content.set("type" if name == "mime_type" else name, str(photo[name]))
            if photo["caption"]:
                description = xml_elem(f"{{{MEDIA_NS}}}description", content, type="plain")
                description.text = xml_text(photo["caption"])
            if photo["credit"] or photo["photographer"]:
                credit = xml_elem(f"{{{MEDIA_NS}}}credit", content)
                if photo["photographer"] and not photo["credit"]:
                    credit.set("role", "photographer")
                credit.text = xml_text(photo["credit"] or photo["photographer"])
            if photo["rights"]["copyright_holder"]:
                rights = xml_elem(f"{{{MEDIA_NS}}}copyright", content)
                rights.text = xml_text(photo["rights"]["copyright_holder"])
            return item

        def extend_atom(self, entry: Any) -> Any:
            return self.extend_rss(entry)

    class _AtomInRssFeed(BaseExtension):
        def extend_ns(self) -> dict[str, str]:
            return {"atom": ATOM_NS}  # declared by feedgen already, for the channel's atom:link

    class _AtomInRssEntry(BaseEntryExtension):
        """`atom:updated` in an RSS item: RSS 2.0 has only `pubDate`, and an edited story must say
        when it changed. Atom's element rather than `dcterms:modified`: its namespace is on
        the document already (the channel's `atom:link`), its value is RFC 3339 as in Atom
        feeds, and feed parsers read it as the item's update time. (Dublin Core's element set,
        which `dc:creator` comes from, has no `modified`.)"""

        def __init__(self) -> None:
            self.updated: datetime | None = None

        def extend_rss(self, item: Any) -> Any:
            if self.updated is not None:
                updated = xml_elem(f"{{{ATOM_NS}}}updated", item)
                updated.text = self.updated.isoformat().replace("+00:00", "Z")
            return item

    return {
        "media": (_MediaFeed, _MediaEntry),
        "atom_updated": (_AtomInRssFeed, _AtomInRssEntry),
    }


def _as_html(text: str) -> str:
    """Plain text where readers expect HTML (RSS descriptions): `<` shows, never parses."""
    return html.escape(xml_text(text), quote=False)


def _generator(info: FeedInfo, items: list[FeedItem], *, for_rss: bool) -> FeedGenerator:
    from feedgen.feed import FeedGenerator

    pub = info.publication
    extensions = _extensions()
    fg = FeedGenerator()
    fg.load_extension("dc", atom=False, rss=True)
    fg.register_extension("media", *extensions["media"])
    fg.register_extension("atom_updated", *extensions["atom_updated"], atom=False)
    fg.id(info.feed_id)
    fg.title(xml_text(info.title))
    if for_rss:
        fg.description(_as_html(info.description))
    else:
        fg.subtitle(xml_text(info.description))  # Atom's default type: text
    # feedgen gives RSS's <link> the last link set: the site, not the feed itself.
    fg.link(href=info.self_url, rel="self")
    fg.link(href=pub.url, rel="alternate")
    fg.language(pub.language)
    # Atom wants an author for entries without a byline; the publication is the answer.
    fg.author({"name": xml_text(pub.name), "uri": pub.url})
    fg.generator("Byline")
    fg.updated(info.updated)
    for item in items:
        _add_entry(fg, info, item, for_rss=for_rss)
    return fg


def _add_entry(fg: FeedGenerator, info: FeedInfo, item: FeedItem, *, for_rss: bool) -> None:
    article = item.article
    entry = fg.add_entry(order="append")
    entry.guid(item.uri, permalink=False)
    entry.title(xml_text(article["headline"]))
    entry.link(href=article["canonical_url"] or item.uri, rel="alternate")
    if article["summary"]:
        if for_rss:
            entry.summary(_as_html(article["summary"]))
        else:
            entry.summary(xml_text(article["summary"]), type="text")
    if article.get("body_html"):
        entry.content(xml_text(article["body_html"]), type="html")
    entry.published(article["published_at"])
    entry.updated(article["updated_at"])  # Atom's own `updated`: the story's last change
    entry.atom_updated.updated = article["updated_at"]
    for author in article.get("authors") or ():
        link = {"uri": author["url"]} if author["url"] else {}
        entry.author({"name": xml_text(author["name"]), **link})
        entry.dc.dc_creator(xml_text(author["name"]))
    if article["section"]:
        section = article["section"]
        entry.category(
            term=section["slug"], label=xml_text(section["name"]), scheme=info.section_scheme
        )
    for tag in article.get("tags") or ():
        entry.category(term=tag["slug"], label=xml_text(tag["name"]), scheme=info.tag_scheme)
    entry.media.photo = article.get("lead_photo")


def rss(info: FeedInfo, items: list[FeedItem]) -> bytes:
    """RSS 2.0 with an atom:link to itself, content:encoded, dc:creator, atom:updated and
    Media RSS."""
    return _generator(info, items, for_rss=True).rss_str(pretty=False)


def atom(info: FeedInfo, items: list[FeedItem]) -> bytes:
    """Atom 1.0, with Media RSS for lead photos."""
    return _generator(info, items, for_rss=False).atom_str(pretty=False)


def json_feed(info: FeedInfo, items: list[FeedItem]) -> bytes:
    """JSON Feed 1.1; `_byline` carries what the format has no field for: the section, the
    photo's credit and an embargo still holding."""
    pub = info.publication
    feed: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": info.title,
        "home_page_url": pub.url,
        "feed_url": info.self_url,
        "description": info.description,
        "language": pub.language,
        "authors": [{"name": pub.name, "url": pub.url}],
        "items": [_json_item(item) for item in items],
    }
    return dumps(feed)


def _json_item(item: FeedItem) -> dict[str, Any]:
    article = item.article
    out: dict[str, Any] = {
        "id": item.uri,
        "url": article["canonical_url"] or item.uri,
        "title": article["headline"],
        "content_html": article.get("body_html") or "",
        "date_published": article["published_at"],
        "date_modified": article["updated_at"],
        "language": article["language"],
    }
    authors = [
        {"name": a["name"], **({"url": a["url"]} if a["url"] else {})}
        for a in article.get("authors") or ()
    ]
    if authors:
        out["authors"] = authors
    if article.get("tags"):
        out["tags"] = [t["name"] for t in article["tags"]]
    if article["summary"]:
        out["summary"] = article["summary"]
    photo = article.get("lead_photo")
    if photo:
        out["image"] = photo["url"]
    out["_byline"] = {
        "article_id": article["id"],
        "embargoed_until": item.embargoed_until,
        "section": article["section"],
        "lead_photo": (
            {k: photo[k] for k in ("url", "caption", "credit", "alt_text", "width", "height")}
            if photo
            else None
        ),
    }
    return out
