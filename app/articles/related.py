"""An article's related cards: add, change and remove them, each a save of the article."""

from typing import Any

from sqlalchemy import delete, func, select, update
from sqlmodel import Session

from app.articles.blocks import body_columns
from app.articles.saving import find_article, finish
from app.articles.schemas import (
    RelatedIn,
)
from app.editorial import Editor, save_version
from app.errors import NotFound, ValidationFailed
from app.ids import new_id
from app.lookup import id_for_body
from app.models import (
    Article,
    RelatedLink,
)


def _link_values(session: Session, data: RelatedIn, sent: set[str]) -> dict[str, Any]:
    values: dict[str, Any] = {
        k: getattr(data, k) for k in ("url", "title", "summary", "site_name") if k in sent
    }
    if "article" in sent:
        values["target_article_id"] = (
            id_for_body(session, Article, data.article, field="article", label="article")
            if data.article
            else None
        )
    return values


def _check_link(values: dict[str, Any]) -> None:
    if values.get("target_article_id") and values.get("url"):
        raise ValidationFailed("url", "a card links to one of our articles or to a URL, not both")
    if not values.get("target_article_id") and not values.get("url"):
        raise ValidationFailed("article", "a card needs `article` (ours) or `url` (external)")
    if values.get("url") and not values.get("title"):
        raise ValidationFailed("title", "an external card needs a title")


def add_related(session: Session, who: Editor, *, ref: str, data: RelatedIn) -> Article:
    """Add a related card (its id goes in a `related` body block to place it inline)."""
    article = find_article(session, ref)
    values = _link_values(session, data, set(data.model_fields_set))
    _check_link(values)
    if values.get("target_article_id") == article.id:
        raise ValidationFailed("article", "an article is not related to itself")
    version = save_version(
        session, Article, article.id, expected=who.expected_version(required=False), values={}
    )
    position = data.position
    if position is None:
        last = session.scalar(
            select(func.max(RelatedLink.position)).where(RelatedLink.article_id == article.id)
        )
        position = 0 if last is None else last + 1
    link = RelatedLink(id=new_id("rel"), article_id=article.id, position=position, **values)
    session.add(link)
    return finish(session, who, article, version, "relate", ["related"])


def _link(session: Session, article: Article, link_id: str) -> RelatedLink:
    link = session.get(RelatedLink, link_id)
    if link is None or link.article_id != article.id:
        raise NotFound(f"No related card {link_id!r} on this article.")
    return link


def update_related(
    session: Session, who: Editor, *, ref: str, link_id: str, data: RelatedIn
) -> Article:
    """Change a related card; takes the article's ETag (a card is part of its article)."""
    expected = who.expected_version()
    article = find_article(session, ref)
    link = _link(session, article, link_id)
    sent = set(data.model_fields_set)
    values = _link_values(session, data, sent)
    merged = {
        "target_article_id": link.target_article_id,
        "url": link.url,
        "title": link.title,
        **values,
    }
    _check_link(merged)
    if "position" in sent and data.position is not None:
        values["position"] = data.position
    version = save_version(session, Article, article.id, expected=expected, values={})
    if values:
        session.execute(update(RelatedLink).where(RelatedLink.id == link.id).values(**values))
    return finish(session, who, article, version, "relate", ["related"])


def delete_related(session: Session, who: Editor, *, ref: str, link_id: str) -> Article:
    """Remove a related card, and any body block that placed it."""
    expected = who.expected_version()
    article = find_article(session, ref)
    link = _link(session, article, link_id)
    body = [b for b in article.body if not (b["type"] == "related" and b["related_id"] == link.id)]
    values = body_columns(body) if len(body) != len(article.body) else {}
    version = save_version(session, Article, article.id, expected=expected, values=values)
    session.execute(delete(RelatedLink).where(RelatedLink.id == link.id))
    return finish(session, who, article, version, "relate", ["related"])
