"""HTML from another system (Ghost's rendering, WordPress's classic or block-editor markup)
as Byline's typed blocks: paragraphs, headings, quotes, lists, photos, embeds.

The HTML is parsed with lxml, walked element by element and cut into blocks; inline HTML is
cleaned by the same function as the write API's (`clean_inline`). What has no block form is
kept as text in a paragraph where it has text, and every such change is noted in
`Converted.losses`, so that the import can say what came over with loss: nothing is
dropped silently.
"""

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from lxml import etree
from lxml import html as lxml_html

from app.articles.blocks import clean_inline, inline_text

# (url, alt text, caption) -> the id of a photo to place, or None when there is none.
PhotoMaker = Callable[[str, str | None, str | None], str | None]
# An href -> the href to keep (internal links to imported posts become their new URLs).
LinkMapper = Callable[[str], str]

# Hosts of the embeds Byline knows by provider, and the provider's name.
PROVIDERS = {
    "youtube.com": "youtube",
    "youtu.be": "youtube",
    "youtube-nocookie.com": "youtube",
    "twitter.com": "x",
    "x.com": "x",
    "vimeo.com": "vimeo",
    "instagram.com": "instagram",
    "facebook.com": "facebook",
    "tiktok.com": "tiktok",
    "soundcloud.com": "soundcloud",
    "spotify.com": "spotify",
    "open.spotify.com": "spotify",
    "wordpress.tv": "wordpress.tv",
    "videopress.com": "videopress",
    "dailymotion.com": "dailymotion",
    "flickr.com": "flickr",
    "ted.com": "ted",
    "reddit.com": "reddit",
    "tumblr.com": "tumblr",
    "giphy.com": "giphy",
    "codepen.io": "codepen",
    "bsky.app": "bluesky",
    "threads.net": "threads",
    "linkedin.com": "linkedin",
    "mixcloud.com": "mixcloud",
    "bandcamp.com": "bandcamp",
}

_CONTAINERS = {
    "div",
    "section",
    "article",
    "main",
    "header",
    "footer",
    "aside",
    "center",
    "details",
    "summary",
    "nav",
    "body",
    "html",
    "figure",
}
_HEADINGS = {"h1": 2, "h2": 2, "h3": 3, "h4": 4, "h5": 4, "h6": 4}
_REMOVED = {
    "script",
    "style",
    "noscript",
    "form",
    "input",
    "button",
    "select",
    "textarea",
    "object",
    "embed",
    "svg",
    "canvas",
    "template",
    "link",
    "meta",
}
# Inline tags that keep their text but not their formatting (as Byline's paragraphs hold
# only links and emphasis).
_PLAIN_INLINE = {"span", "br", "font", "small", "big", "abbr", "cite", "q", "time", "wbr"}
_INLINE = {"a", "em", "strong", "b", "i", "u", "s", "del", "ins", "strike", "code", "kbd"}
_INLINE |= {"mark", "sup", "sub", "var", "samp", "dfn", "label", *_PLAIN_INLINE}
_RENAMED = {"b": "strong", "i": "em"}
# A WordPress dynamic block (`<!-- wp:latest-posts /-->`): the site renders it, it has no HTML.
_DYNAMIC_BLOCK = re.compile(r"^\s*wp:([a-z0-9/-]+)[^>]*/\s*$")
# What the write API refuses in a plain-text field, as it could be read as markup.
_MARKUP_LIKE = re.compile(r"<[A-Za-z/!?]")
_BARE_URL = re.compile(r"^\s*(https?://\S+)\s*$")
PARAGRAPH_MAX = 20_000
QUOTE_MAX = 5_000


@dataclass
class Converted:
    blocks: list[dict[str, Any]] = field(default_factory=list)
    losses: list[str] = field(default_factory=list)


def web_url(url: str) -> str:
    """A URL as a URI: protocol-relative made https, characters a URI cannot hold escaped."""
    url = html.unescape(url.strip())
    if url.startswith("//"):
        url = "https:" + url
    return quote(url, safe=":/?#[]@!$&'()*+,;=%~")


def provider_of(url: str) -> str | None:
    host = (urlsplit(url).hostname or "").lower().removeprefix("www.").removeprefix("m.")
    if host in PROVIDERS:
        return PROVIDERS[host]
    parent = ".".join(host.split(".")[-2:])
    return PROVIDERS.get(parent)


def embed_url(src: str) -> str:
    """The page URL of a player's frame (`youtube.com/embed/ID` -> `youtube.com/watch?v=ID`)."""
    url = web_url(src)
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    if host in ("youtube.com", "youtube-nocookie.com") and parts.path.startswith("/embed/"):
        return f"https://www.youtube.com/watch?v={parts.path.split('/')[2]}"
    if host == "player.vimeo.com" and parts.path.startswith("/video/"):
        return f"https://vimeo.com/{parts.path.split('/')[2]}"
    if host == "youtube.com" and parts.path == "/watch":
        video = parse_qs(parts.query).get("v")
        if video:
            return f"https://www.youtube.com/watch?v={video[0]}"
    return url


class _Walker:
    def __init__(self, photo: PhotoMaker, link: LinkMapper | None) -> None:
        self.photo = photo
        self.link = link
        self.out = Converted()
        self.inline: list[str] = []  # loose inline HTML between blocks

    def loss(self, note: str) -> None:
        self.out.losses.append(note)

    # Inline HTML.

    def _inline_html(self, element: Any, *, with_tail: bool = False) -> str:
        """The inner HTML of `element`, links mapped, `b`/`i` as `strong`/`em`, cleaned."""
        copy = lxml_html.fragment_fromstring(
            etree.tostring(element, encoding="unicode", with_tail=False)
        )
        for sub in copy.iter():
            if sub is copy or not isinstance(sub.tag, str):
                continue
            if sub.tag in _RENAMED:
                sub.tag = _RENAMED[sub.tag]
            if sub.tag == "br":
                sub.tail = " " + (sub.tail or "")
            if sub.tag == "a" and sub.get("href") and self.link is not None:
                sub.set("href", self.link(sub.get("href")))
        self._inline_losses(copy, skip_root=True)
        etree.strip_elements(copy, *_REMOVED, with_tail=False)
        inner = (copy.text and html.escape(copy.text, quote=False)) or ""
        inner += "".join(etree.tostring(c, encoding="unicode", with_tail=True) for c in copy)
        return clean_inline(inner).strip()

    def _add_paragraph(self, fragment: str) -> None:
        fragment = re.sub(r"\s+", " ", fragment).strip()
        if not inline_text(fragment).strip():
            return
        while len(fragment) > PARAGRAPH_MAX:
            # Cut at a space between tags' text, far enough from the end.
            cut = fragment.rfind(" ", 0, PARAGRAPH_MAX)
            head = clean_inline(fragment[:cut])
            self.out.blocks.append({"type": "paragraph", "html": head})
            fragment = clean_inline(fragment[cut:]).strip()
            self.loss("long paragraph split")
        self.out.blocks.append({"type": "paragraph", "html": fragment})

    def flush(self) -> None:
        if self.inline:
            self._add_paragraph(clean_inline("".join(self.inline)))
            self.inline = []

    # Blocks.

    def add_photo(self, img: Any, caption: str | None = None) -> None:
        src = img.get("src") or img.get("data-src")
        if not src:
            self.loss("image without a source dropped")
            return
        alt = (img.get("alt") or "").strip() or None
        photo_id = self.photo(web_url(src), alt, caption)
        if photo_id is None:
            self.loss("image not brought over")
            return
        self.out.blocks.append({"type": "photo", "photo_id": photo_id})

    def add_embed(self, url: str, title: str | None = None) -> bool:
        url = embed_url(url)
        provider = provider_of(url)
        if provider is None:
            return False
        block: dict[str, Any] = {"type": "embed", "provider": provider, "url": url}
        if title and not _MARKUP_LIKE.search(title):
            block["title"] = title[:300]
        self.out.blocks.append(block)
        return True

    def add_link_paragraph(self, url: str, label: str, note: str) -> None:
        url = web_url(url)
        self.out.blocks.append(
            {
                "type": "paragraph",
                "html": clean_inline(f'<a href="{html.escape(url)}">{html.escape(label)}</a>'),
            }
        )
        self.loss(note)

    def text(self, element: Any) -> str:
        return re.sub(r"\s+", " ", element.text_content()).strip()

    def walk(self, parent: Any) -> None:
        if parent.text and parent.text.strip():
            self.inline.append(html.escape(parent.text, quote=False))
        for child in parent:
            self.node(child)
            if child.tail and child.tail.strip():
                self.inline.append(html.escape(child.tail, quote=False))

    def node(self, el: Any) -> None:
        if isinstance(el, etree._Comment):
            match = _DYNAMIC_BLOCK.match(el.text or "")
            if match:
                self.loss(f"dynamic block {match.group(1)} dropped")
            return
        if not isinstance(el.tag, str):
            return
        tag = el.tag.lower()
        if tag in _INLINE and not el.findall(".//img") and not el.findall(".//iframe"):
            # Loose inline content: part of the paragraph it sits in.
            markup = etree.tostring(el, encoding="unicode", with_tail=False)
            self.inline.append(
                self._inline_html(lxml_html.fragment_fromstring(f"<span>{markup}</span>"))
            )
            return
        self.flush()
        if tag in _REMOVED:
            self.loss(f"<{tag}> removed")
        elif tag == "p":
            self.paragraph(el)
        elif tag in _HEADINGS:
            text = self.text(el)
            if text and _MARKUP_LIKE.search(text):
                self._add_paragraph(f"<strong>{html.escape(text, quote=False)}</strong>")
                self.loss("heading with markup-like text kept as a paragraph")
            elif text:
                self.out.blocks.append(
                    {"type": "heading", "level": _HEADINGS[tag], "text": text[:300]}
                )
        elif tag == "blockquote":
            self.quote(el)
        elif tag in ("ul", "ol"):
            self.list(el)
        elif tag == "img":
            self.add_photo(el)
        elif tag == "iframe":
            src = el.get("src") or ""
            if not (src and self.add_embed(src, el.get("title"))):
                if src:
                    self.add_link_paragraph(src, el.get("title") or src, "frame kept as a link")
                else:
                    self.loss("<iframe> without a source dropped")
        elif tag == "figure":
            self.figure(el)
        elif tag in ("video", "audio"):
            src = el.get("src") or next((s.get("src") for s in el.iter("source")), None)
            if src:
                self.add_link_paragraph(src, src, f"<{tag}> kept as a link")
            else:
                self.loss(f"<{tag}> without a source dropped")
        elif tag == "pre":
            self._add_paragraph(html.escape(el.text_content().strip(), quote=False))
            self.loss("preformatted text kept as a paragraph")
        elif tag == "table":
            self.table(el)
        elif tag == "hr":
            self.loss("separator dropped")
        elif tag == "dl":
            for item in el:
                if isinstance(item.tag, str):
                    self._add_paragraph(self._inline_html(item))
            self.loss("definition list kept as paragraphs")
        elif tag in _CONTAINERS or tag in _INLINE:
            self.walk(el)
            self.flush()
        else:
            self.walk(el)
            self.flush()
            self.loss(f"<{tag}> kept as its content")

    def _inline_losses(self, el: Any, *, skip_root: bool = False) -> None:
        for sub in el.iter():
            if skip_root and sub is el:
                continue
            if isinstance(sub.tag, str) and sub.tag in _REMOVED:
                self.loss(f"<{sub.tag}> removed")
            elif isinstance(sub.tag, str) and sub.tag not in (
                "a",
                "em",
                "strong",
                "b",
                "i",
                *_PLAIN_INLINE,
            ):
                self.loss(f"<{sub.tag}> formatting dropped")

    def paragraph(self, el: Any) -> None:
        images = el.findall(".//img")
        frames = el.findall(".//iframe")
        for img in images:
            self.add_photo(img)
        for frame in frames:
            src = frame.get("src") or ""
            if not (src and self.add_embed(src, frame.get("title"))):
                self.loss("<iframe> dropped")
        if images or frames:
            for sub in [*images, *frames]:
                sub.drop_tree()
        bare = _BARE_URL.match(el.text_content())
        if bare and len(el) <= 1 and self.add_embed(bare.group(1)):
            return  # an oEmbed line: the URL alone in its paragraph
        self._add_paragraph(self._inline_html(el))

    def quote(self, el: Any) -> None:
        classes = el.get("class") or ""
        if "twitter-tweet" in classes or "instagram-media" in classes:
            links = [a.get("href") for a in el.iter("a") if a.get("href")]
            url = links[-1] if links else el.get("data-instgrm-permalink")
            if url and self.add_embed(url):
                return
        attribution = None
        for cite in [*el.iter("cite"), *el.iter("footer")]:
            attribution = self.text(cite) or attribution
            cite.drop_tree()
            break
        parts = [self.text(p) for p in el if isinstance(p.tag, str) and self.text(p)]
        text = "\n\n".join(parts) if parts else self.text(el)
        if not text:
            return
        if len(text) > QUOTE_MAX or _MARKUP_LIKE.search(f"{text} {attribution or ''}"):
            self._add_paragraph(html.escape(text, quote=False))
            self.loss("quote kept as a paragraph (too long, or text that reads as markup)")
            return
        if el.findall(".//a"):
            self.loss("links in a quote dropped")
        block: dict[str, Any] = {"type": "quote", "text": text}
        if attribution:
            block["attribution"] = attribution[:300]
        self.out.blocks.append(block)

    def list(self, el: Any) -> None:
        items: list[str] = []
        nested = False
        for li in el.iter("li"):
            for sub in li:
                if isinstance(sub.tag, str) and sub.tag in ("ul", "ol"):
                    nested = True
            copy = lxml_html.fragment_fromstring(etree.tostring(li, encoding="unicode"))
            for sub in list(copy):
                if sub.tag in ("ul", "ol"):
                    sub.drop_tree()
            item = self._inline_html(copy)
            if inline_text(item).strip():
                items.append(item)
            for img in li.findall(".//img"):
                self.add_photo(img)
        if nested:
            self.loss("nested list flattened")
        if items:
            self.out.blocks.append(
                {"type": "list", "ordered": el.tag == "ol", "items": items[:500]}
            )

    def figure(self, el: Any) -> None:
        classes = el.get("class") or ""
        caption_el = el.find(".//figcaption")
        caption = self.text(caption_el) if caption_el is not None else None
        if "embed" in classes:
            wrapper = el.find(".//div")
            candidates = [
                *(f.get("src") for f in el.iter("iframe")),
                *(a.get("href") for a in el.iter("a")),
                (wrapper.text_content().strip() if wrapper is not None else None),
            ]
            for url in candidates:
                if url and self.add_embed(url, caption):
                    return
        images = el.findall(".//img")
        if images and el.find(".//blockquote") is None and el.find(".//table") is None:
            nested = [f for f in el.iter("figure") if f is not el]
            if nested:  # a gallery: one photo per image, each with its own caption
                for sub in nested:
                    self.figure(sub)
                if len(nested) > 1:
                    self.loss("gallery kept as photos")
                return
            for img in images:
                self.add_photo(img, caption if len(images) == 1 else None)
            return
        if caption_el is not None:
            caption_el.drop_tree()
        self.walk(el)
        self.flush()
        if caption:
            self._add_paragraph(html.escape(caption, quote=False))

    def table(self, el: Any) -> None:
        for row in el.iter("tr"):
            cells = [self.text(c) for c in row if isinstance(c.tag, str)]
            line = " | ".join(c for c in cells if c)
            if line:
                self._add_paragraph(html.escape(line, quote=False))
        self.loss("table kept as text")


def plain_text(fragment: str) -> str:
    """A plain-text field (a headline) from HTML: tags removed, entities read, and a `<`
    that would read as markup followed by a space."""
    text = re.sub(r"\s+", " ", inline_text(fragment)).strip()
    return _MARKUP_LIKE.sub(lambda m: f"< {m.group(0)[1]}", text)


def convert(fragment: str, *, photo: PhotoMaker, link: LinkMapper | None = None) -> Converted:
    """Byline blocks from an HTML fragment, with a note for each thing that lost its form."""
    if not fragment or not fragment.strip():
        return Converted()
    try:
        root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return Converted(losses=["body could not be read as HTML"])
    walker = _Walker(photo, link)
    walker.walk(root)
    walker.flush()
    return walker.out
