"""Plain functions that make rows for tests."""

from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

from sqlmodel import Session

from app.articles.blocks import body_columns
from app.ids import new_id
from app.models import (
    Article,
    ArticleAuthor,
    ArticleStatus,
    ArticleTag,
    Author,
    FeedEntry,
    Photo,
    RelatedLink,
    Section,
    Tag,
)

_n = count(1)
BASE = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)


def _save(session: Session, row: Any) -> Any:
    session.add(row)
    session.commit()
    return row


# Objects are dated like the stories, in the past: a test that edits one sees its time move.
DATED = {"created_at": BASE, "updated_at": BASE}


def make_section(session: Session, **kw: Any) -> Section:
    n = next(_n)
    values = {"id": new_id("sec"), "slug": f"section-{n}", "name": f"Section {n}", **DATED}
    return _save(session, Section(**{**values, **kw}))


def make_tag(session: Session, **kw: Any) -> Tag:
    n = next(_n)
    values = {"id": new_id("tag"), "slug": f"tag-{n}", "name": f"Tag {n}", **DATED}
    return _save(session, Tag(**{**values, **kw}))


def make_author(session: Session, **kw: Any) -> Author:
    n = next(_n)
    values = {"id": new_id("aut"), "slug": f"author-{n}", "name": f"Author {n}", **DATED}
    return _save(session, Author(**{**values, **kw}))


def make_photo(session: Session, **kw: Any) -> Photo:
    pid = new_id("pho")
    values = {"id": pid, "url": f"https://media.test/{pid}.jpg", **DATED}
    return _save(session, Photo(**{**values, **kw}))


def make_article(
    session: Session,
    *,
    authors: list[Author] = (),  # type: ignore[assignment]
    tags: list[Tag] = (),  # type: ignore[assignment]
    paragraphs: list[str] | None = None,
    minutes_after: int | None = None,
    **kw: Any,
) -> Article:
    """A published article (override `status`, `published_at`, ...) with its links."""
    n = next(_n)
    published = BASE + timedelta(minutes=n if minutes_after is None else minutes_after)
    blocks = [{"type": "paragraph", "html": p} for p in (paragraphs or [f"Body of story {n}."])]
    values: dict[str, Any] = {
        "id": new_id("art"),
        "slug": f"story-{n}",
        "headline": f"Story {n}",
        "status": ArticleStatus.published,
        "published_at": published,
        "first_published_at": published,
        "created_at": published,
        "updated_at": published,
        **body_columns(blocks),
        **kw,
    }
    article = _save(session, Article(**values))
    for i, author in enumerate(authors):
        session.add(ArticleAuthor(article_id=article.id, author_id=author.id, position=i))
    for i, tag in enumerate(tags):
        session.add(ArticleTag(article_id=article.id, tag_id=tag.id, position=i))
    session.commit()
    return article


def make_key(session: Session, *scopes: str, **kw: Any) -> str:
    """A key with these scopes; returns its secret."""
    from app.keys.service import create_key
    from app.models import Scope

    return create_key(session, name="test", scopes=[Scope(s) for s in scopes], **kw).secret


def make_related(session: Session, article: Article, **kw: Any) -> RelatedLink:
    return _save(session, RelatedLink(**{"id": new_id("rel"), "article_id": article.id, **kw}))


def make_feed_entry(session: Session, **kw: Any) -> FeedEntry:
    n = next(_n)
    at = BASE + timedelta(minutes=n)
    values = {
        "id": new_id("fe"),
        "title": f"Entry {n}",
        "published_at": at,
        "created_at": at,
        "updated_at": at,
        **kw,
    }
    return _save(session, FeedEntry(**values))


def make_webhook(session: Session, url: str, events: list[str] = ("*",), **kw: Any):  # type: ignore[assignment]
    """A subscription (no URL check: that is the API's); returns (webhook, secret)."""
    from app.models import Webhook
    from app.webhooks.signing import new_secret

    secret = new_secret()
    webhook = _save(
        session,
        Webhook(
            **{"id": new_id("whk"), "url": url, "events": list(events), "secret": secret, **kw}
        ),
    )
    return webhook, secret
