"""An article as the API sends it: `article_out` builds its JSON from loaded rows and
their embeds, and renders the body's HTML (photos and related cards placed in the text)."""

import html
from datetime import datetime
from typing import Any

from app.articles.blocks import SLOT_PATTERN
from app.articles.service import Embeds, RelatedCard
from app.authors.schemas import author_out, author_ref
from app.models import Article
from app.photos.schemas import photo_out
from app.sections.schemas import section_ref
from app.tags.schemas import tag_ref
from app.visibility import public_status


def _related_out(card: RelatedCard, embeds: Embeds) -> dict[str, Any]:
    link, target = card.link, card.target
    if target is None:
        return {
            "id": link.id,
            "kind": "external",
            "inline": link.inline,
            "url": link.url,
            "title": link.title,
            "summary": link.summary,
            "site_name": link.site_name,
            "authors": [],
            "published_at": None,
            "article": None,
        }
    return {
        "id": link.id,
        "kind": "article",
        "inline": link.inline,
        "url": target["canonical_url"],
        "title": target["headline"],
        "summary": target["summary"],
        "site_name": embeds.site.name if embeds.site else None,
        "authors": [author_ref(a) for a, _ in embeds.related_authors.get(target["id"], [])],
        "published_at": target["published_at"],
        "article": {"id": target["id"], "slug": target["slug"]},
    }


def _card_html(card: dict[str, Any]) -> str:
    title = html.escape(card["title"] or "")
    href = html.escape(card["url"] or "")
    summary = f"<p>{html.escape(card['summary'])}</p>" if card["summary"] else ""
    byline = ", ".join(a["name"] for a in card["authors"])
    source = " · ".join(x for x in (card["site_name"], byline) if x)
    footer = f"<footer>{html.escape(source)}</footer>" if source else ""
    return (
        f'<aside class="related" data-related-id="{html.escape(card["id"])}">'
        f'<a href="{href}">{title}</a>{summary}{footer}</aside>'
    )


def _photo_html(photo: dict[str, Any]) -> str:
    alt = html.escape(photo["alt_text"] or "")
    caption = " ".join(
        x for x in (photo["caption"], photo["credit"] and f"({photo['credit']})") if x
    )
    figcaption = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return (
        f'<figure class="photo" data-photo-id="{html.escape(photo["id"])}">'
        f'<img src="{html.escape(photo["url"])}" alt="{alt}">{figcaption}</figure>'
    )


def _body(
    article: Article, photos: dict[str, dict[str, Any]], cards: dict[str, dict[str, Any]]
) -> tuple[list[dict[str, Any]], str]:
    """Blocks and HTML with photos and related cards as they are now; vanished ones drop out."""
    blocks: list[dict[str, Any]] = []
    for block in article.body:
        if block["type"] == "photo":
            if block["photo_id"] not in photos:
                continue
            block = {**block, "photo": photos[block["photo_id"]]}
        elif block["type"] == "related":
            if block["related_id"] not in cards:
                continue
            block = {**block, "related": cards[block["related_id"]]}
        blocks.append(block)

    def fill(match: Any) -> str:
        photo_id, related_id = match.groups()
        if photo_id:
            return _photo_html(photos[photo_id]) if photo_id in photos else ""
        return _card_html(cards[related_id]) if related_id in cards else ""

    body_html = (
        SLOT_PATTERN.sub(fill, article.body_html)
        if "data-" in article.body_html
        else article.body_html
    )
    return blocks, body_html


def article_out(
    article: Article,
    embeds: Embeds,
    *,
    include: frozenset[str] | tuple[str, ...],
    now: datetime,
    detail: bool = False,
) -> dict[str, Any]:
    """The public JSON of an article; a list item carries only what `include` names."""
    section = embeds.sections.get(article.section_id) if article.section_id else None
    out: dict[str, Any] = {
        "id": article.id,
        "slug": article.slug,
        "type": article.type,
        "status": public_status(article.status, article.published_at, now),
        "headline": article.headline,
        "subheadline": article.subheadline,
        "dateline": article.dateline,
        "summary": article.summary,
        "word_count": article.word_count,
        "reading_time_minutes": article.reading_time_minutes,
        "language": article.language,
        "section": section_ref(section) if section else None,
        "published_at": article.published_at,
        "updated_at": article.updated_at,
        "first_published_at": article.first_published_at,
        "canonical_url": article.canonical_url,
        "version": article.version,
    }
    if "authors" in include:
        out["authors"] = [
            {**author_out(a), "role": role} for a, role in embeds.authors.get(article.id, [])
        ]
    if "tags" in include:
        out["tags"] = [tag_ref(t) for t in embeds.tags.get(article.id, [])]
    if "lead_photo" in include:
        photo = embeds.photos.get(article.lead_photo_id) if article.lead_photo_id else None
        out["lead_photo"] = photo_out(photo) if photo else None
    cards: dict[str, dict[str, Any]] = {}
    if "related" in include or "body" in include:
        cards = {c.link.id: _related_out(c, embeds) for c in embeds.related.get(article.id, [])}
    if "related" in include:
        out["related"] = list(cards.values())
    if "body" in include:
        photos = {pid: photo_out(p) for pid, p in embeds.photos.items()}
        out["body"], out["body_html"] = _body(article, photos, cards)
    if detail:
        out["corrections"] = [
            {"id": c.id, "text": c.text, "created_at": c.created_at}
            for c in embeds.corrections.get(article.id, [])
        ]
        out["translations"] = [
            {
                "id": t.id,
                "slug": t.slug,
                "language": t.language,
                "headline": t.headline,
                "canonical_url": t.canonical_url,
            }
            for t in embeds.translations.get(article.translation_group or "", [])
            if t.id != article.id
        ]
    return out


# What editors send.
