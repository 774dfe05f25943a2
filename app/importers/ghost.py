"""Ghost's JSON export (`db[0].meta` / `db[0].data`, Ghost 2 to 6) read into the importers'
shared shapes.

A post's body is taken from its `html` (Ghost's own rendering) when the export has it, else
rendered here from `lexical` (Ghost 5 and later) or `mobiledoc` (Ghost 1 to 4): the card
types Ghost ships become the HTML Ghost writes for them, which the shared converter reads.
Markdown cards are rendered with markdown-it-py. Internal tags (`#name`) are dropped: Byline
has no private tags. Members, newsletters, settings and API keys are not content: ignored.
"""

import html
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt

from app.articles.blocks import inline_text
from app.importers.apply import Image, Importer, Person, Story, Summary, Term, import_into
from app.importers.apply import old_path as path_of

GHOST_URL = "__GHOST_URL__"
_STATUS = {"published": "published", "scheduled": "scheduled", "draft": "draft"}
_STATUS["sent"] = "draft"  # an email-only post
_IGNORED_TABLES = ("members", "newsletters", "settings", "api_keys", "subscribers", "webhooks")
_markdown = MarkdownIt("commonmark")


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value / 1000, UTC)
    text = str(value).replace("T", " ").replace("Z", "").split(".")[0]
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return None


# Mobiledoc (https://github.com/bustle/mobiledoc-kit/blob/master/MOBILEDOC.md), 0.3.x.


def _card_html(name: str, payload: dict[str, Any], notes: list[str]) -> str:
    """The HTML Ghost writes for a card (mobiledoc and lexical share the card names)."""
    name = name.removeprefix("card-")
    if name == "markdown":
        return _markdown.render(payload.get("markdown") or "")
    if name == "html":
        return payload.get("html") or ""
    if name == "image":
        src = html.escape(payload.get("src") or "")
        alt = html.escape(payload.get("alt") or payload.get("altText") or "")
        caption = payload.get("caption") or ""
        return f'<figure><img src="{src}" alt="{alt}"><figcaption>{caption}</figcaption></figure>'
    if name == "gallery":
        figures = [_card_html("image", image, notes) for image in payload.get("images") or []]
        return f'<figure class="kg-gallery-card">{"".join(figures)}</figure>'
    if name == "embed":
        url = html.escape(payload.get("url") or "")
        return f'<figure class="kg-embed-card"><a href="{url}">{url}</a></figure>'
    if name == "bookmark":
        url = html.escape(payload.get("url") or "")
        title = html.escape((payload.get("metadata") or {}).get("title") or url)
        return f'<p><a href="{url}">{title}</a></p>'
    if name in ("code", "codeblock"):
        return f"<pre>{html.escape(payload.get('code') or '')}</pre>"
    if name in ("hr", "horizontalrule"):
        return "<hr>"
    if name == "callout":
        return f"<p>{payload.get('calloutText') or ''}</p>"
    if name == "toggle":
        return f"<h3>{payload.get('heading') or ''}</h3><p>{payload.get('content') or ''}</p>"
    if name == "button":
        url = html.escape(payload.get("buttonUrl") or "")
        return f'<p><a href="{url}">{html.escape(payload.get("buttonText") or url)}</a></p>'
    if name in ("video", "audio", "file"):
        src = payload.get("src")
        if src:
            tag = "audio" if name == "audio" else "video"
            return f'<{tag} src="{html.escape(src)}"></{tag}>'
    notes.append(f"Ghost card {name} not converted")
    return ""


def mobiledoc_html(document: dict[str, Any], notes: list[str]) -> str:
    markups = document.get("markups") or []
    atoms = document.get("atoms") or []
    cards = document.get("cards") or []

    def markers_html(markers: list[Any]) -> str:
        out: list[str] = []
        open_tags: list[str] = []
        for marker in markers:
            kind, opens, closes, value = marker
            for index in opens:
                tag, *rest = markups[index]
                attrs = rest[0] if rest else []
                pairs = " ".join(
                    f'{attrs[i]}="{html.escape(str(attrs[i + 1]))}"'
                    for i in range(0, len(attrs) - 1, 2)
                )
                out.append(f"<{tag}{' ' + pairs if pairs else ''}>")
                open_tags.append(tag)
            if kind == 0:
                out.append(html.escape(value, quote=False))
            else:
                name, text, _payload = atoms[value]
                out.append(html.escape(text, quote=False) if name != "soft-return" else " ")
            for _ in range(closes):
                out.append(f"</{open_tags.pop()}>")
        return "".join(out)

    parts: list[str] = []
    for section in document.get("sections") or []:
        kind = section[0]
        if kind == 1:
            tag = section[1].lower()
            tag = "blockquote" if tag in ("aside", "pull-quote") else tag
            parts.append(f"<{tag}>{markers_html(section[2])}</{tag}>")
        elif kind == 3:
            items = "".join(f"<li>{markers_html(item)}</li>" for item in section[2])
            parts.append(f"<{section[1]}>{items}</{section[1]}>")
        elif kind == 2:
            parts.append(f'<img src="{html.escape(section[1])}">')
        elif kind == 10:
            name, payload = cards[section[1]]
            parts.append(_card_html(name, payload, notes))
    return "\n".join(parts)


# Lexical (Ghost 5 and later): the editor state as JSON.

_FORMATS = ((1, "strong"), (2, "em"), (8, "u"), (4, "s"), (16, "code"))


def _lexical_inline(nodes: list[dict[str, Any]]) -> str:
    out: list[str] = []
    for node in nodes:
        kind = node.get("type")
        if kind in ("text", "extended-text"):
            text = html.escape(node.get("text") or "", quote=False)
            for bit, tag in _FORMATS:
                if (node.get("format") or 0) & bit:
                    text = f"<{tag}>{text}</{tag}>"
            out.append(text)
        elif kind == "linebreak":
            out.append("<br>")
        elif kind in ("link", "autolink"):
            url = html.escape(node.get("url") or "")
            out.append(f'<a href="{url}">{_lexical_inline(node.get("children") or [])}</a>')
        else:
            out.append(_lexical_inline(node.get("children") or []))
    return "".join(out)


def lexical_html(document: dict[str, Any], notes: list[str]) -> str:
    parts: list[str] = []
    for node in (document.get("root") or {}).get("children") or []:
        kind = node.get("type")
        children = node.get("children") or []
        if kind in ("paragraph", "extended-paragraph"):
            parts.append(f"<p>{_lexical_inline(children)}</p>")
        elif kind in ("heading", "extended-heading"):
            tag = node.get("tag") or "h2"
            parts.append(f"<{tag}>{_lexical_inline(children)}</{tag}>")
        elif kind in ("quote", "extended-quote", "aside"):
            parts.append(f"<blockquote><p>{_lexical_inline(children)}</p></blockquote>")
        elif kind == "list":
            tag = "ol" if node.get("listType") == "number" else "ul"
            items = "".join(
                f"<li>{_lexical_inline(i.get('children') or [])}</li>" for i in children
            )
            parts.append(f"<{tag}>{items}</{tag}>")
        else:
            parts.append(_card_html(kind or "", node, notes))
    return "\n".join(parts)


def body_of(post: dict[str, Any], notes: list[str]) -> str:
    if post.get("html"):
        return post["html"]
    for field, render in (("lexical", lexical_html), ("mobiledoc", mobiledoc_html)):
        if post.get(field):
            try:
                return render(json.loads(post[field]), notes)
            except (ValueError, TypeError, KeyError, IndexError):
                notes.append(f"{field} body could not be read")
    return ""


def _absolute(url: str | None, site_url: str | None) -> str | None:
    if not url:
        return None
    if url.startswith(GHOST_URL):
        return (site_url or "").rstrip("/") + url[len(GHOST_URL) :] if site_url else None
    if url.startswith("/") and not url.startswith("//"):
        return site_url.rstrip("/") + url if site_url else None
    return url


def _data(export: dict[str, Any]) -> dict[str, Any]:
    if "db" in export:
        return export["db"][0]
    return export


def import_ghost(
    session: Any,
    path: Path,
    *,
    dry_run: bool = False,
    media_dir: Path | None = None,
    sections_from_primary_tag: bool = False,
    site_url: str | None = None,
) -> Summary:
    """Import a Ghost JSON export: users (authors), tags, posts and pages."""
    db = _data(json.loads(path.read_text(encoding="utf-8")))
    data = db.get("data") or {}
    importer = Importer(session, system="ghost", dry_run=dry_run, media_dir=media_dir)
    for table in _IGNORED_TABLES:
        if data.get(table):
            importer.summary.ignored[table] += len(data[table])
    settings = {s.get("key"): s.get("value") for s in data.get("settings") or []}
    permalink = settings.get("permalinks") or "/:slug/"
    language = (settings.get("locale") or settings.get("lang") or "en").split("-")[0] or "en"

    authors = []
    for user in data.get("users") or []:
        links = [
            user.get("website"),
            f"https://x.com/{user['twitter'].lstrip('@')}" if user.get("twitter") else None,
            f"https://www.facebook.com/{user['facebook']}" if user.get("facebook") else None,
        ]
        authors.append(
            Person(
                source_id=user["id"],
                name=user.get("name") or user.get("slug") or "Unknown",
                slug=user.get("slug"),
                bio=user.get("bio"),
                avatar_url=_absolute(user.get("profile_image"), site_url),
                url=next((u for u in links if u), None),
            )
        )

    tags: list[Term] = []
    internal: set[str] = set()
    names: dict[str, dict[str, Any]] = {}
    for tag in data.get("tags") or []:
        names[tag["id"]] = tag
        if (tag.get("name") or "").startswith("#") or tag.get("visibility") == "internal":
            internal.add(tag["id"])
            continue
        tags.append(
            Term(tag["id"], tag.get("name") or tag["slug"], tag.get("slug"), tag.get("description"))
        )
    if internal:
        importer.summary.ignored["internal tags (#name)"] += len(internal)

    by_post_tags: dict[str, list[tuple[int, str]]] = {}
    for link in data.get("posts_tags") or []:
        by_post_tags.setdefault(link["post_id"], []).append(
            (link.get("sort_order") or 0, link["tag_id"])
        )
    by_post_authors: dict[str, list[tuple[int, str]]] = {}
    for link in data.get("posts_authors") or []:
        by_post_authors.setdefault(link["post_id"], []).append(
            (link.get("sort_order") or 0, link["author_id"])
        )
    meta = {m["post_id"]: m for m in data.get("posts_meta") or []}

    stories: list[Story] = []
    old_urls: dict[str, list[str]] = {}
    sections: dict[str, Term] = {}
    for post in data.get("posts") or []:
        kind = post.get("type") or ("page" if post.get("page") else "post")
        status = _STATUS.get(post.get("status") or "")
        if status is None:
            importer.summary.ignored[f"{post.get('status')} {kind}s"] += 1
            continue
        notes: list[str] = []
        warnings: list[str] = []
        if post.get("codeinjection_head") or post.get("codeinjection_foot"):
            warnings.append("code injection dropped")
        published = _time(post.get("published_at"))
        if status == "scheduled" and (published is None or published <= datetime.now(UTC)):
            warnings.append("scheduled for a time that has passed: imported as a draft")
            status = "draft"
        tag_ids = [t for _, t in sorted(by_post_tags.get(post["id"], []))]
        public = [t for t in tag_ids if t not in internal and t in names]
        author_ids = [a for _, a in sorted(by_post_authors.get(post["id"], []))]
        if not author_ids and post.get("author_id"):
            author_ids = [post["author_id"]]
        section = None
        if sections_from_primary_tag and public:
            primary = names[public[0]]
            section = primary["id"]
            sections.setdefault(
                section, Term(section, primary.get("name") or primary["slug"], primary["slug"])
            )
        extra = meta.get(post["id"], {})
        feature = _absolute(post.get("feature_image"), site_url)
        lead = None
        if feature:
            lead = Image(
                source_id=f"feature:{post['id']}",
                url=feature,
                caption=inline_text(
                    extra.get("feature_image_caption") or post.get("feature_image_caption") or ""
                )
                or None,
                alt_text=extra.get("feature_image_alt") or post.get("feature_image_alt"),
            )
        elif post.get("feature_image"):
            warnings.append("feature image with a relative URL dropped (give --site-url)")
        slug = post.get("slug") or ""
        path = _permalink(permalink, slug, published, kind)
        stories.append(
            Story(
                source_id=post["id"],
                kind=kind,
                headline=post.get("title") or "Untitled",
                slug=slug,
                body_html=(body_of(post, notes) or "").replace(
                    GHOST_URL, (site_url or "").rstrip("/")
                ),
                status=status,
                published_at=published,
                summary=post.get("custom_excerpt") or extra.get("meta_description") or None,
                canonical_url=post.get("canonical_url") or None,
                language=(post.get("locale") or language).split("-")[0],
                authors=author_ids,
                tags=public,
                section=section,
                lead_photo=lead,
                old_path=path if status == "published" else None,
                warnings=warnings,
                notes=notes,
            )
        )
        urls = [f"{GHOST_URL}{path}", path]
        if site_url:
            urls.append(site_url.rstrip("/") + path)
        old_urls[post["id"]] = urls

    return import_into(
        session,
        importer,
        authors=authors,
        tags=tags,
        sections=list(sections.values()),
        photos=[],
        stories=stories,
        old_urls=old_urls,
    )


def _permalink(pattern: str, slug: str, at: datetime | None, kind: str) -> str:
    """The post's path on the Ghost site (pages are always `/slug/`)."""
    if kind == "page" or at is None:
        return f"/{slug}/"
    out = pattern.replace(":slug", slug)
    out = out.replace(":year", f"{at.year:04d}").replace(":month", f"{at.month:02d}")
    out = out.replace(":day", f"{at.day:02d}").replace(":id", "")
    return path_of("https://x" + out) or f"/{slug}/"
