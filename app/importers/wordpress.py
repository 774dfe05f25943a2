"""WordPress's export (WXR, versions 1.0 to 1.2) read into the importers' shared shapes.

WXR is untrusted XML: it is parsed by lxml with entity expansion, DTD loading and network
access turned off. Classic-editor bodies get WordPress's paragraph rule (a blank line ends
a paragraph) and their common shortcodes (`[caption]`, `[embed]`, `[youtube]`) turned into
HTML first; block-editor bodies are HTML already (their `<!-- wp:... -->` comments are read
only to report dynamic blocks, which have no content of their own).
"""

import html
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lxml import etree

from app.articles.blocks import inline_text
from app.importers.apply import Image, Importer, Person, Story, Summary, Term, import_into
from app.importers.apply import old_path as path_of

# The excerpt namespace lies under WordPress's own: it is matched first.
_NAMESPACES = (
    ("/excerpt/", "excerpt"),
    ("wordpress.org/export", "wp"),
    ("purl.org/rss/1.0/modules/content", "content"),
    ("purl.org/dc/elements", "dc"),
)
_STATUS = {"publish": "published", "future": "scheduled", "draft": "draft", "pending": "draft"}
_STATUS["private"] = "draft"
_BLOCK_START = re.compile(
    r"^\s*<(p|h[1-6]|ul|ol|li|blockquote|figure|div|table|pre|hr|iframe|dl|section|address"
    r"|form|script|style|!--)\b",
    re.I,
)
_CAPTION = re.compile(r"\[caption([^\]]*)\](.*?)\[/caption\]", re.S)
_EMBED = re.compile(r"\[embed[^\]]*\](.*?)\[/embed\]", re.S)
_PROVIDER_CODE = re.compile(r"\[(youtube|vimeo|twitter|instagram)\s+([^\]\s]+)[^\]]*\]")
_SHORTCODE = re.compile(
    r"\[/?(gallery|audio|video|playlist|code|sourcecode|contact-form[a-z-]*|wpvideo|"
    r"polldaddy|googlemaps|archives|sitemap|recipe|slideshow)\b[^\]]*\]"
)


def _name(element: Any) -> str:
    qname = etree.QName(element)
    for marker, prefix in _NAMESPACES:
        if qname.namespace and marker in qname.namespace:
            return f"{prefix}:{qname.localname}"
    return qname.localname


def _fields(element: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for child in element:
        if isinstance(child.tag, str):
            out.setdefault(_name(child), (child.text or "").strip())
    return out


def _time(value: str | None) -> datetime | None:
    if not value or value.startswith("0000"):
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def autop(text: str) -> str:
    """WordPress's paragraph rule for classic-editor text: a blank line ends a paragraph."""
    chunks = re.split(r"\n\s*\n", text.replace("\r\n", "\n"))
    out = []
    for chunk in chunks:
        if not chunk.strip():
            continue
        if _BLOCK_START.match(chunk):
            out.append(chunk)
        else:
            out.append(f"<p>{chunk.strip()}</p>")
    return "\n".join(out)


def shortcodes(text: str, notes: Counter[str]) -> str:
    """The common shortcodes as HTML; the others removed, and counted in `notes`."""

    def caption(match: re.Match[str]) -> str:
        inner = match.group(2)
        image = re.search(r"<img[^>]*>", inner)
        if not image:
            return inner
        words = re.sub(r"<a[^>]*>\s*<img[^>]*>\s*</a>|<img[^>]*>", "", inner).strip()
        attrs = re.search(r'caption="([^"]*)"', match.group(1))
        label = words or (attrs.group(1) if attrs else "")
        return f"<figure>{image.group(0)}<figcaption>{label}</figcaption></figure>"

    text = _CAPTION.sub(caption, text)
    text = _EMBED.sub(lambda m: f"\n\n{m.group(1).strip()}\n\n", text)
    text = _PROVIDER_CODE.sub(lambda m: f"\n\n{m.group(2).strip()}\n\n", text)

    def drop(match: re.Match[str]) -> str:
        if not match.group(0).startswith("[/"):
            notes[f"shortcode [{match.group(1)}] not converted"] += 1
        return ""

    return _SHORTCODE.sub(drop, text)


def body_html(content: str) -> tuple[str, list[str]]:
    notes: Counter[str] = Counter()
    text = shortcodes(content or "", notes)
    if "<!-- wp:" not in text:
        text = autop(text)
    return text, [note for note, n in notes.items() for _ in range(n)]


def read(path: Path) -> etree._ElementTree:
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False
    )
    return etree.parse(str(path), parser)


def import_wordpress(
    session: Any,
    path: Path,
    *,
    dry_run: bool = False,
    media_dir: Path | None = None,
) -> Summary:
    """Import a WXR file: authors, categories (sections), tags, attachments (photos), posts
    and pages."""
    tree = read(path)
    channel = tree.getroot().find("channel")
    if channel is None:
        raise ValueError("not a WordPress export: no <channel>")
    importer = Importer(session, system="wordpress", dry_run=dry_run, media_dir=media_dir)
    site = _fields(channel)
    base = (site.get("wp:base_blog_url") or site.get("link") or "").rstrip("/")
    language = (site.get("language") or "en").split("-")[0].lower() or "en"

    authors: dict[str, Person] = {}
    sections: list[Term] = []
    tags: list[Term] = []
    category_names: dict[str, str] = {}
    for element in channel:
        kind = _name(element) if isinstance(element.tag, str) else ""
        fields = _fields(element) if kind.startswith("wp:") else {}
        if kind == "wp:author":
            login = fields.get("wp:author_login") or ""
            name = fields.get("wp:author_display_name") or login
            authors[login] = Person(source_id=login, name=name, slug=login)
        elif kind == "wp:category":
            slug = fields.get("wp:category_nicename") or ""
            name = html.unescape(fields.get("wp:cat_name") or slug)
            category_names[slug] = name
            sections.append(
                Term(slug, name, slug=slug, description=fields.get("wp:category_description"))
            )
        elif kind == "wp:tag":
            slug = fields.get("wp:tag_slug") or ""
            name = html.unescape(fields.get("wp:tag_name") or slug)
            tags.append(Term(slug, name, slug=slug, description=fields.get("wp:tag_description")))

    tag_slugs = {t.source_id for t in tags}
    photos: list[Image] = []
    stories: list[Story] = []
    old_urls: dict[str, list[str]] = {}
    extra_tags: dict[str, Term] = {}
    for item in channel.iter("item"):
        fields = _fields(item)
        post_type = fields.get("wp:post_type") or "post"
        post_id = fields.get("wp:post_id") or ""
        meta = {}
        for pm in item:
            if isinstance(pm.tag, str) and _name(pm) == "wp:postmeta":
                pm_fields = _fields(pm)
                meta[pm_fields.get("wp:meta_key", "")] = pm_fields.get("wp:meta_value", "")
        comments = sum(1 for c in item if isinstance(c.tag, str) and _name(c) == "wp:comment")
        if comments:
            importer.summary.ignored["comments"] += comments
        if post_type == "attachment":
            url = fields.get("wp:attachment_url") or fields.get("guid")
            if url:
                photos.append(
                    Image(
                        source_id=post_id,
                        url=url,
                        caption=inline_text(fields.get("excerpt:encoded") or "") or None,
                        alt_text=meta.get("_wp_attachment_image_alt") or None,
                    )
                )
            continue
        if post_type not in ("post", "page"):
            importer.summary.ignored[f"{post_type} items"] += 1
            continue
        status = _STATUS.get(fields.get("wp:status") or "")
        if status is None:
            importer.summary.ignored[f"{fields.get('wp:status')} {post_type}s"] += 1
            continue
        categories: list[str] = []
        post_tags: list[str] = []
        for term in item.iter("category"):
            nicename = term.get("nicename") or ""
            label = html.unescape((term.text or "").strip()) or nicename
            if term.get("domain") == "category":
                categories.append(nicename)
                if nicename not in category_names:  # used, but not listed in the channel
                    category_names[nicename] = label
                    sections.append(Term(nicename, label, slug=nicename))
            elif term.get("domain") == "post_tag":
                post_tags.append(nicename)
                if nicename not in tag_slugs:
                    tag_slugs.add(nicename)
                    tags.append(Term(nicename, label, slug=nicename))
        published = _time(fields.get("wp:post_date_gmt"))
        warnings: list[str] = []
        if status == "scheduled" and (published is None or published <= datetime.now(UTC)):
            warnings.append("scheduled for a time that has passed: imported as a draft")
            status = "draft"
        if fields.get("wp:post_password"):
            warnings.append("password-protected there: imported as a draft")
            status = "draft"
        if fields.get("wp:status") == "private":
            warnings.append("private there: imported as a draft")
        # Further categories are kept as tags: a story has one section.
        for extra in categories[1:]:
            key = f"category:{extra}"
            extra_tags.setdefault(key, Term(key, category_names.get(extra, extra), slug=extra))
        content, notes = body_html(fields.get("content:encoded") or "")
        creator = fields.get("dc:creator") or ""
        if creator and creator not in authors:
            authors[creator] = Person(source_id=creator, name=creator, slug=creator)
        link = fields.get("link") or ""
        thumb = meta.get("_thumbnail_id")
        story = Story(
            source_id=post_id,
            kind=post_type,
            headline=fields.get("title") or "Untitled",
            slug=fields.get("wp:post_name") or "",
            body_html=content,
            status=status,
            published_at=published,
            summary=inline_text(fields.get("excerpt:encoded") or "") or None,
            language=language,
            authors=[creator] if creator else [],
            tags=[*post_tags, *(f"category:{c}" for c in categories[1:])],
            section=categories[0] if categories else None,
            lead_photo=Image(source_id=thumb, url="") if thumb else None,
            old_path=path_of(link) if link and status == "published" else None,
            warnings=warnings,
            notes=notes,
        )
        stories.append(story)
        urls = [link, f"{base}/?p={post_id}", f"{base}/?page_id={post_id}"]
        guid = fields.get("guid")
        if guid:
            urls.append(guid)
        old_urls[post_id] = [u for u in urls if u]

    by_id = {p.source_id: p for p in photos}
    for story in stories:
        if story.lead_photo is not None:
            story.lead_photo = by_id.get(story.lead_photo.source_id)
    return import_into(
        session,
        importer,
        authors=list(authors.values()),
        tags=[*tags, *extra_tags.values()],
        sections=sections,
        photos=photos,
        stories=stories,
        old_urls=old_urls,
    )
